"""The admin's review of ROR proposals (filed by ``manage.py import_ror``).

The list shows each match with how it was found; an editor accepts or rejects the selected
ones (actions) or one at a time from its page, which shows what accepting would change.
Both go through directory.services.identifiers, which writes the institution through the
write services (history, change event, feed). Proposals are never added or edited by hand.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from directory.models import Institution, RorProposal
from directory.services import identifiers as proposals


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, Institution):
        return value.slug
    if isinstance(value, list):
        return "; ".join(
            item.get("title", "") if isinstance(item, dict) else str(item) for item in value
        )
    return str(value)


@admin.register(RorProposal)
class RorProposalAdmin(admin.ModelAdmin):
    list_display = (
        "institution",
        "ror_link",
        "ror_name",
        "match",
        "matched_value",
        "score",
        "ambiguous",
        "status",
    )
    list_filter = ("status", "match", "ambiguous")
    search_fields = ("institution__name", "institution__slug", "ror_name", "ror_id")
    list_select_related = ("institution",)
    actions = ("accept_selected", "reject_selected")
    change_form_template = "admin/directory/rorproposal/change_form.html"
    fields = (
        "institution",
        "ror_link",
        "ror_name",
        "match",
        "matched_value",
        "score",
        "ambiguous",
        "dump",
        "status",
        "filed_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "planned_changes",
        "record_json",
    )
    readonly_fields = fields

    # --- read-only: the import files proposals, a decision changes them --------------------

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request, obj=None) -> bool:
        return proposals.may_decide(request.user)

    # --- columns and fields --------------------------------------------------------------

    @admin.display(description=_("ROR id"), ordering="ror_id")
    def ror_link(self, obj) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', obj.ror_url, obj.ror_id
        )

    @admin.display(description=_("what accepting would change"))
    def planned_changes(self, obj) -> str:
        if obj.status != "pending":
            return gettext("Nothing more: this proposal is decided (%(status)s).") % {
                "status": obj.get_status_display()
            }
        plan = proposals.plan(obj)
        if plan.refusal:
            return gettext("Cannot be accepted: %(why)s") % {"why": plan.refusal}
        institution = Institution.objects.get(pk=obj.institution_id)
        rows = [
            (
                Institution._meta.get_field(name).verbose_name,
                _shown(getattr(institution, name)),
                _shown(value),
            )
            for name, value in plan.fields.items()
        ]
        rows += [
            (
                gettext("parent of %(child)s") % {"child": child.slug},
                "—",
                institution.slug,
            )
            for child in plan.children
        ]
        if not rows:
            table = format_html("<p>{}</p>", gettext("Nothing: the institution has it all."))
        else:
            table = format_html(
                '<table class="directory-diff"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
                "</tr></thead><tbody>{}</tbody></table>",
                gettext("field"),
                gettext("now"),
                gettext("after accepting"),
                format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            )
        notes = format_html_join("", "<li>{}</li>", ((note,) for note in plan.notes))
        return format_html("{}<ul>{}</ul>", table, notes) if plan.notes else table

    @admin.display(description=_("ROR record"))
    def record_json(self, obj) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.record, ensure_ascii=False, indent=2)[:20000]
        )

    # --- decisions -----------------------------------------------------------------------

    def _decide_each(self, request, queryset, decide, **kwargs) -> int:
        done = 0
        for proposal in queryset:
            try:
                decide(proposal=proposal, user=request.user, **kwargs)
            except ValidationError as error:
                self.message_user(
                    request, f"{proposal}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        return done

    @admin.action(description=_("Accept selected proposals"), permissions=["decide"])
    def accept_selected(self, request, queryset):
        count = self._decide_each(request, queryset, proposals.ror_proposal_accept)
        message = ngettext("Accepted %(count)d proposal.", "Accepted %(count)d proposals.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Reject selected proposals"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        count = self._decide_each(
            request, queryset, proposals.ror_proposal_reject, reason="Rejected in the admin"
        )
        message = ngettext("Rejected %(count)d proposal.", "Rejected %(count)d proposals.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    def get_urls(self):
        opts = self.model._meta
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name=f"{opts.app_label}_{opts.model_name}_decide",
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request, object_id):
        """Accept or reject one proposal from its page (POST: decision, note)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_decide_permission(request):
            raise PermissionDenied
        proposal = get_object_or_404(RorProposal, pk=object_id)
        decision = request.POST.get("decision")
        note = request.POST.get("note", "").strip()
        try:
            if decision == "accept":
                proposals.ror_proposal_accept(proposal=proposal, user=request.user)
                self.message_user(request, gettext("Accepted."), messages.SUCCESS)
            elif decision == "reject":
                proposals.ror_proposal_reject(
                    proposal=proposal, user=request.user, reason=note or "Rejected in the admin"
                )
                self.message_user(request, gettext("Rejected."), messages.SUCCESS)
            else:
                self.message_user(request, gettext("Choose accept or reject."), messages.ERROR)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[proposal.pk])
        )

    def render_change_form(self, request, context, *args, **kwargs):
        obj = kwargs.get("obj") or context.get("original")
        context["may_decide"] = (
            obj is not None and obj.status == "pending" and self.has_decide_permission(request)
        )
        return super().render_change_form(request, context, *args, **kwargs)
