"""Django admin for curators: every model, searchable by the same normalised key as the API."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet, ModelForm
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats.base_formats import JSON
from import_export.resources import modelresource_factory
from simple_history.admin import SimpleHistoryAdmin

from directory import publishing, resources, services
from directory.admin_filters import CountryFilter
from directory.admin_history import DirectoryHistoryContext, author
from directory.admin_import import LabelledExportForm, SafeImportMixin
from directory.admin_proposals import RorProposalAdmin  # noqa: F401 (registers it)
from directory.admin_rows import row_formfield
from directory.admin_writes import ServiceWritesMixin
from directory.choices import localised
from directory.forms import CallForm
from directory.models import (
    AccessMode,
    Agreement,
    Call,
    ChangeEvent,
    Country,
    Facility,
    FacilityRole,
    FacilitySuccession,
    Institution,
    InstitutionSuccession,
    Instrument,
    Programme,
    ProgrammeRole,
    ProgrammeSuccession,
    ResearchField,
    Source,
    Technique,
)
from directory.search import normalise

# The admin's own header and page titles (Django's say "Django administration").
admin.site.site_header = _("Facility Directory administration")
admin.site.site_title = _("Facility Directory admin")
admin.site.index_title = _("Curation")

PROVENANCE_FIELDSET = (
    _("Provenance"),
    {
        "fields": (
            "sources",
            "last_verified_on",
            "needs_review",
            "review_note",
            "is_published",
            "api_link",
            "created_at",
            "updated_at",
        )
    },
)
NAMES_FIELDSET = (
    _("Identity"),
    {"fields": ("name", "name_ja", "slug", "acronym", "aliases", "website")},
)
DESCRIPTION_FIELDSET = (_("Description"), {"fields": ("description", "description_ja")})
STALE_AFTER_DAYS = 365


class NotVerifiedFilter(admin.SimpleListFilter):
    """Records nobody has checked against their sources for twelve months (or ever)."""

    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [("stale", _("Not verified for 12 months")), ("never", _("Never verified"))]

    def queryset(self, request, queryset):
        cutoff = timezone.localdate() - datetime.timedelta(days=STALE_AFTER_DAYS)
        if self.value() == "stale":
            return queryset.filter(
                Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff)
            )
        if self.value() == "never":
            return queryset.filter(last_verified_on__isnull=True)
        return queryset


class SourceFilter(admin.SimpleListFilter):
    """Records without a single citation."""

    title = _("sources")
    parameter_name = "sources"

    def lookups(self, request, model_admin):
        return [("none", _("Has no source")), ("some", _("Has sources"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(sources=[])
        if self.value() == "some":
            return queryset.exclude(sources=[])
        return queryset


class NamedRecordAdmin(ServiceWritesMixin, ExportMixin, SimpleHistoryAdmin):
    """Shared admin behaviour for every record.

    Normalised search, prepopulated slug, provenance filters, history with diffs and revert,
    a list of deleted records to restore, bulk publish / unpublish / verify, export of the
    filtered list (CSV, JSON; the CSV safe to open in a spreadsheet: directory.csvsafe), and
    a link to the record in the API. Publishing needs the model's publish permission
    (editors); curators see ``is_published`` read-only. Every write goes through the write
    services (see directory.admin_writes).
    """

    search_fields = ("search_key",)
    prepopulated_fields = {"slug": ("name",)}
    list_filter = ("is_published", "needs_review", NotVerifiedFilter, SourceFilter)
    readonly_fields = ("created_at", "updated_at", "api_link")
    list_per_page = 50
    actions = ("publish", "unpublish", "mark_verified_today")
    formats = (resources.SpreadsheetCSV, JSON)
    export_form_class = LabelledExportForm  # each column named in the admin's language
    change_list_template = "admin/directory/change_list.html"
    lists_deleted_records = True  # the change list links to deleted_view
    object_history_template = "admin/directory/object_history.html"
    object_history_list_template = "admin/directory/object_history_list.html"
    object_history_form_template = "admin/directory/object_history_form.html"

    class Media:
        # Compact change lists, the country filter's drop-down, aliases and sources as rows.
        css = {"all": ["directory/admin/directory.css"]}
        js = ["directory/admin/changelist.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Aliases and sources as rows of inputs, not JSON text (directory.admin_rows)."""
        field = row_formfield(db_field, required=not db_field.blank)
        if field is not None:
            return field
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # --- the list -----------------------------------------------------------------------

    @admin.display(description=_("name"), ordering="name")
    def display_name(self, obj) -> str:
        """The English name, and the Japanese one under it: one column for both."""
        if not obj.name_ja:
            return obj.name
        return format_html(
            '{}<span class="directory-name-ja" lang="ja">{}</span>', obj.name, obj.name_ja
        )

    @admin.display(description=_("country"), ordering="country__code")
    def country_code(self, obj) -> str:
        """The country's code, its name (in the admin's language) on hover."""
        country = obj.country
        name = localised(country.name, country.name_ja, (get_language() or "en")[:2])
        return format_html('<abbr title="{}">{}</abbr>', name, country.code)

    @admin.display(description=_("verified"), ordering="last_verified_on", empty_value="—")
    def verified(self, obj) -> str | None:
        """The date last verified, as 2026-01-31: short in every language."""
        return obj.last_verified_on.isoformat() if obj.last_verified_on else None

    @admin.display(description=_("published"), boolean=True, ordering="is_published")
    def published(self, obj) -> bool:
        return obj.is_published

    def get_resource_classes(self, request):
        """The record's resource; a model without one of its own gets import-export's default
        resource with numbers exported as numbers (so the CSV export leaves them alone)."""
        if not self.resource_classes and not self.resource_class:
            return [modelresource_factory(self.model, resource_class=resources.NumbersAsNumbers)]
        return super().get_resource_classes(request)

    def get_historical_record_context_helper(self, request, historical_record):
        return DirectoryHistoryContext(self.model, historical_record)

    # --- history pages: titles that name the record's kind, who wrote each entry -----------

    def history_view_title(self, request, obj):
        return gettext("Change history of %(kind)s “%(record)s”") % {
            "kind": self.model._meta.verbose_name,
            "record": obj,
        }

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            text = gettext("View %(kind)s “%(record)s”")
        else:
            text = gettext("Revert %(kind)s “%(record)s”")
        return text % {"kind": self.model._meta.verbose_name, "record": obj}

    def set_history_delta_changes(self, request, page_obj, *args, **kwargs):
        super().set_history_delta_changes(request, page_obj, *args, **kwargs)
        for entry in page_obj.object_list:
            entry.directory_author = author(entry)

    def get_search_results(self, request, queryset, search_term):
        """Match the normalised key, so "spring8" or "ｓｐｒｉｎｇ－８" finds SPring-8."""
        key = normalise(search_term)
        if not key:
            return queryset, False
        return queryset.filter(search_key__contains=key), False

    # --- publishing ------------------------------------------------------------------

    def has_publish_permission(self, request, obj=None) -> bool:
        return publishing.may_publish(request.user, self.model)

    # --- history: many-to-many values of the version being reverted to -------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        # Set by the history form view (ServiceWritesMixin) on this request only.
        version = getattr(request, "history_version", None)
        if version is None:
            return form_class
        initial = historical_m2m_initial(version)

        class VersionForm(form_class):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                for name, values in initial.items():
                    if name in self.fields and not self.is_bound:
                        self.initial[name] = values

        return VersionForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request, obj):
            readonly.append("is_published")
        return readonly

    @admin.action(description=_("Publish selected records"), permissions=["publish"])
    def publish(self, request, queryset):
        count = self.update_each(
            request, queryset, services.record_publish, reason="Published in the admin"
        )
        message = ngettext("Published %(count)d record.", "Published %(count)d records.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unpublish selected records"), permissions=["publish"])
    def unpublish(self, request, queryset):
        count = self.update_each(
            request, queryset, services.record_unpublish, reason="Unpublished in the admin"
        )
        message = ngettext("Unpublished %(count)d record.", "Unpublished %(count)d records.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Mark selected records verified today"), permissions=["change"])
    def mark_verified_today(self, request, queryset):
        count = self.update_each(
            request,
            queryset,
            services.record_update,
            fields={"last_verified_on": timezone.localdate()},
            reason="Marked verified today in the admin",
        )
        message = ngettext(
            "Marked %(count)d record verified today.",
            "Marked %(count)d records verified today.",
            count,
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    # --- links --------------------------------------------------------------------------

    @admin.display(description=_("in the API"))
    def api_link(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        url = obj.get_absolute_url()
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    # --- deleted records ------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        deleted = path(
            "deleted/",
            self.admin_site.admin_view(self.deleted_view),
            name=f"{opts.app_label}_{opts.model_name}_deleted",
        )
        return [deleted, *super().get_urls()]

    def deleted_view(self, request):
        """Records deleted and not restored since, with a link to restore each one."""
        if not self.has_view_or_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        opts = self.model._meta
        history = self.model.history
        existing = self.model._default_manager.values("pk")
        deletions = (
            history.filter(history_type="-")
            .exclude(id__in=existing)
            .select_related("history_user")
            .order_by("-history_date")
        )
        latest = {}
        for row in deletions:
            latest.setdefault(row.id, row)
        rows = [
            {
                "name": row.name,
                "slug": row.slug,
                "deleted_at": row.history_date,
                "deleted_by": row.history_user,
                "history_url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_history", args=[row.id]
                ),
            }
            for row in latest.values()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": gettext("Deleted %(kinds)s") % {"kinds": opts.verbose_name_plural},
            "rows": rows,
        }
        return TemplateResponse(request, "admin/directory/deleted_records.html", context)


def historical_m2m_initial(version) -> dict[str, list]:
    """The many-to-many values a historical version recorded, as form initial data."""
    initial = {}
    for field in getattr(type(version), "_history_m2m_fields", []) or []:
        rows = getattr(version, field.name).all()
        target = field.m2m_reverse_field_name()  # "technique", or "successor" for successions
        initial[field.name] = [getattr(row, f"{target}_id") for row in rows]
    return initial


class ImportExportRecordAdmin(SafeImportMixin, ImportExportMixin, NamedRecordAdmin):
    """Adds CSV/JSON import with a dry-run preview (rows validated, nothing written until
    confirmed; one transaction per import: a row that fails at confirmation writes nothing)."""

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            row_text = gettext("row %(number)s: %(problems)s")
            problems = [
                row_text
                % {
                    "number": row.number,
                    "problems": "; ".join(
                        f"{field}: {' '.join(messages)}"
                        for field, messages in row.error_dict.items()
                    ),
                }
                for row in result.invalid_rows[:5]
            ] + [
                row_text % {"number": number, "problems": errors[0].error}
                for number, errors in result.row_errors()[:5]
            ]
            self.message_user(
                request,
                gettext("Nothing was imported.") + " " + " | ".join(problems),
                messages.ERROR,
            )
            app_label, model_name = self.get_model_info()
            return redirect(reverse(f"admin:{app_label}_{model_name}_import"))
        return super().process_result(result, request)


class FacilityRoleInline(admin.TabularInline):
    model = FacilityRole
    autocomplete_fields = ("institution",)
    extra = 1


class InstrumentInline(admin.TabularInline):
    model = Instrument
    fields = ("name", "name_ja", "slug", "kind", "website")
    prepopulated_fields = {"slug": ("name",)}
    extra = 0
    show_change_link = True


class ProgrammeRoleInline(admin.TabularInline):
    model = ProgrammeRole
    autocomplete_fields = ("institution",)
    extra = 1


class SuccessionFormSet(BaseInlineFormSet):
    """The rules of a record's successions that span its rows: no cycle (the model and the
    formset already refuse a record succeeding itself and a successor listed twice)."""

    def clean(self):
        super().clean()
        if self.instance.pk is None or any(self.errors):
            return
        deleted = set(map(id, self.deleted_forms))
        links = [
            services.SuccessionLink(form.cleaned_data["successor"], form.cleaned_data["type"])
            for form in self.forms
            if id(form) not in deleted and (form.cleaned_data or {}).get("successor")
        ]
        problems = services.succession_problems(self.instance, links)
        if problems:
            raise ValidationError(problems)


class SuccessorInline(admin.TabularInline):
    """The successors of the record: saved with it, through the write services."""

    fk_name = "predecessor"
    formset = SuccessionFormSet
    autocomplete_fields = ("successor",)
    fields = ("successor", "type", "date", "date_precision", "note", "note_ja", "sources")
    extra = 0
    verbose_name = _("successor")
    verbose_name_plural = _("successors (what followed it)")


class PredecessorInline(admin.TabularInline):
    """The predecessors of the record, shown here; written on the predecessor's own page
    (a succession belongs to its predecessor, as a role link to its facility)."""

    fk_name = "successor"
    fields = ("predecessor", "type", "date", "date_precision", "note", "note_ja")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = _("predecessor")
    verbose_name_plural = _("predecessors (what it followed; edited on the predecessor)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FacilitySuccessorInline(SuccessorInline):
    model = FacilitySuccession


class FacilityPredecessorInline(PredecessorInline):
    model = FacilitySuccession


class ProgrammeSuccessorInline(SuccessorInline):
    model = ProgrammeSuccession


class ProgrammePredecessorInline(PredecessorInline):
    model = ProgrammeSuccession


class InstitutionSuccessorInline(SuccessorInline):
    model = InstitutionSuccession


class InstitutionPredecessorInline(PredecessorInline):
    model = InstitutionSuccession


class CallInline(admin.TabularInline):
    model = Call
    form = CallForm  # the deadline in the call's own time zone
    fields = ("name", "name_ja", "slug", "opens_on", "closes_at", "deadline_timezone", "url")
    prepopulated_fields = {"slug": ("name",)}
    extra = 0
    show_change_link = True


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_ja")
    search_fields = ("code", "name", "name_ja")


@admin.register(Technique)
class TechniqueAdmin(NamedRecordAdmin):
    resource_classes = [resources.TechniqueResource]
    list_display = ("display_name", "probe", "published")
    list_filter = ("probe", *NamedRecordAdmin.list_filter)
    fieldsets = (NAMES_FIELDSET, (_("Technique"), {"fields": ("probe",)}), PROVENANCE_FIELDSET)


@admin.register(ResearchField)
class ResearchFieldAdmin(NamedRecordAdmin):
    resource_classes = [resources.ResearchFieldResource]
    list_display = ("display_name", "published")
    fieldsets = (NAMES_FIELDSET, DESCRIPTION_FIELDSET, PROVENANCE_FIELDSET)


@admin.register(AccessMode)
class AccessModeAdmin(NamedRecordAdmin):
    resource_classes = [resources.AccessModeResource]
    list_display = ("display_name", "kind", "published")
    fieldsets = (NAMES_FIELDSET, (_("Kind"), {"fields": ("kind",)}), PROVENANCE_FIELDSET)


@admin.register(Institution)
class InstitutionAdmin(ImportExportRecordAdmin):
    resource_classes = [resources.InstitutionResource]
    # Fits a 1280 px screen beside the filters: both names in one column, the country's code.
    list_display = ("display_name", "acronym", "country_code", "kind", "published", "verified")
    list_filter = (("country", CountryFilter), "kind", *NamedRecordAdmin.list_filter)
    list_select_related = ("country",)
    autocomplete_fields = ("country", "parent")
    inlines = (InstitutionPredecessorInline, InstitutionSuccessorInline)
    fieldsets = (
        NAMES_FIELDSET,
        (_("Organisation"), {"fields": ("kind", "parent")}),
        (_("Identifiers"), {"fields": ("ror_id", "wikidata_id", "isni", "crossref_funder_id")}),
        (_("Location"), {"fields": ("country", ("city", "city_ja"), "latitude", "longitude")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Facility)
class FacilityAdmin(ImportExportRecordAdmin):
    resource_classes = [resources.FacilityResource]
    # Fits a 1280 px screen beside the filters: both names in one column, the country's code.
    list_display = ("display_name", "country_code", "kind", "status", "published", "verified")
    list_filter = (("country", CountryFilter), "kind", "status", *NamedRecordAdmin.list_filter)
    list_select_related = ("country",)
    autocomplete_fields = ("country", "techniques", "fields", "access_modes")
    inlines = (
        FacilityRoleInline,
        InstrumentInline,
        FacilityPredecessorInline,
        FacilitySuccessorInline,
    )
    fieldsets = (
        NAMES_FIELDSET,
        (
            _("Kind and status"),
            {"fields": ("kind", "status", ("closed_on", "closed_on_precision"))},
        ),
        (
            _("Location"),
            {"fields": ("country", ("city", "city_ja"), "site", "latitude", "longitude")},
        ),
        (_("Identifiers"), {"fields": ("wikidata_id",)}),
        (
            _("Figures"),
            {
                "fields": (
                    "energy_gev",
                    "circumference_m",
                    "beamline_count",
                    "first_operation_year",
                    "user_programme_year",
                    ("construction_cost", "construction_cost_currency"),
                )
            },
        ),
        (_("Relations"), {"fields": ("techniques", "access_modes", "fields")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Instrument)
class InstrumentAdmin(NamedRecordAdmin):
    list_display = ("display_name", "facility", "kind", "published")
    list_select_related = ("facility",)
    autocomplete_fields = ("facility", "techniques")
    fieldsets = (
        NAMES_FIELDSET,
        (_("Instrument"), {"fields": ("facility", "kind", "techniques")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Programme)
class ProgrammeAdmin(ImportExportRecordAdmin):
    resource_classes = [resources.ProgrammeResource]
    list_display = ("display_name", "kind", "status", "published", "verified")
    list_filter = ("kind", "status", *NamedRecordAdmin.list_filter)
    autocomplete_fields = ("countries", "fields", "facilities")
    inlines = (
        ProgrammeRoleInline,
        CallInline,
        ProgrammePredecessorInline,
        ProgrammeSuccessorInline,
    )
    fieldsets = (
        NAMES_FIELDSET,
        (_("Kind and status"), {"fields": ("kind", "status", "call_frequency")}),
        (
            _("Dates and figures"),
            {
                "fields": (
                    ("starts_on", "starts_on_precision"),
                    ("ends_on", "ends_on_precision"),
                    ("total_budget", "total_budget_currency"),
                    ("max_funding_per_project", "max_funding_currency"),
                    "typical_duration_months",
                )
            },
        ),
        (_("Relations"), {"fields": ("countries", "fields", "facilities")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


@admin.register(Call)
class CallAdmin(ImportExportRecordAdmin):
    resource_classes = [resources.CallResource]
    form = CallForm  # the deadline in the call's own time zone
    list_display = ("name", "programme", "opens_on", "closes_at", "call_status", "published")
    list_select_related = ("programme",)
    autocomplete_fields = ("programme",)
    fieldsets = (
        NAMES_FIELDSET,
        (
            _("Call"),
            {"fields": ("programme", "opens_on", "closes_at", "deadline_timezone", "url")},
        ),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )

    @admin.display(description=_("status"))
    def call_status(self, obj: Call) -> str:
        return obj.status


@admin.register(Agreement)
class AgreementAdmin(NamedRecordAdmin):
    list_display = ("display_name", "kind", "signed_on", "published")
    list_filter = ("kind", *NamedRecordAdmin.list_filter)
    autocomplete_fields = ("institutions", "facilities")
    fieldsets = (
        NAMES_FIELDSET,
        (
            _("Agreement"),
            {"fields": ("kind", "signed_on", "renewed_on", "expires_on", "renewal_period_years")},
        ),
        (_("Parties"), {"fields": ("institutions", "facilities")}),
        DESCRIPTION_FIELDSET,
        PROVENANCE_FIELDSET,
    )


class SourceForm(ModelForm):
    """A cited source keeps its slug: the write service's refusal, as the slug's form error."""

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        problems = services.slug_change_problems(self.instance, slug)
        if problems:
            raise ValidationError(problems)
        return slug


@admin.register(Source)
class SourceAdmin(NamedRecordAdmin):
    """The documents records cite; a source cites none itself (its own ``sources`` stays empty)."""

    form = SourceForm

    list_display = ("display_name", "publisher", "published_on", "language", "published")
    list_filter = ("language", "is_published", "needs_review", NotVerifiedFilter)
    search_fields = ("search_key",)
    fieldsets = (
        (_("Identity"), {"fields": ("name", "name_ja", "slug", "acronym", "aliases")}),
        (
            _("Document"),
            {
                "fields": (
                    ("author", "author_ja"),
                    ("publisher", "publisher_ja"),
                    ("published_on", "published_on_precision"),
                    "language",
                    "url",
                )
            },
        ),
        (_("Reliability"), {"fields": ("reliability_note", "reliability_note_ja")}),
        DESCRIPTION_FIELDSET,
        (
            _("Provenance"),
            {
                "fields": (
                    "last_verified_on",
                    "needs_review",
                    "review_note",
                    "is_published",
                    "api_link",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    """Every write of every record, newest first: the change stream the services record.

    Read-only: events are written by the write services, never by hand.
    """

    list_display = ("at", "model", "slug", "action", "by", "reason")
    list_filter = ("action", "model")
    search_fields = ("slug", "reason")
    list_select_related = ("user",)
    date_hierarchy = "at"
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("by"), ordering="user")
    def by(self, event: ChangeEvent) -> str:
        """The user, or the system (seeding and commands write without one)."""
        return str(event.user) if event.user_id else gettext("system")
