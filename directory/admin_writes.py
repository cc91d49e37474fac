"""The admin's writes, translated into write services (directory.services).

Django's admin saves in steps (``save_model``, then ``save_related`` for the many-to-many
fields and each inline formset, ``delete_model``, ``delete_queryset``, actions) and
django-simple-history's revert form saves a version back. Here every one of those steps
becomes one service call: a record with its many-to-many fields and its role links (the
inline of operators or funders) is one ``record_create``/``record_update``, so it gets one
history entry with all of them; records edited in an inline of their own (a facility's
instruments, a programme's calls) are each their own service call; a revert is
``record_revert`` and a restore ``record_restore``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext

from directory import services
from directory.admin_history import author
from directory.i18n import verbose_name


def _concrete_names(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def form_values(form) -> tuple[dict, dict]:
    """(fields, relations) of a valid model form, keyed by the model's names."""
    model = form._meta.model
    concrete = _concrete_names(model)
    many = {f.name for f in model._meta.many_to_many}
    fields, relations = {}, {}
    for name, value in form.cleaned_data.items():
        if name in many:
            relations[name] = list(value)
        elif name in concrete:
            fields[name] = value
    return fields, relations


def _role_link_field(owner_model, formset):
    """The owner's relation whose links (role links, successions) this inline edits, if it
    does: an inline of the owner's side (a predecessor's successors, not its predecessors)."""
    for field in owner_model._meta.many_to_many:
        if (
            field.remote_field.through is formset.model
            and formset.fk.name == field.m2m_field_name()
        ):
            return field
    return None


def _shows_other_side(owner_model, formset) -> bool:
    """An inline of links that belong to the other record (a successor's predecessors):
    shown, never written from here."""
    return any(
        field.remote_field.through is formset.model
        for field in owner_model._meta.many_to_many
        if not field.remote_field.through._meta.auto_created
    )


def _role_links(formset, relation) -> list:
    through = relation.remote_field.through
    target = relation.m2m_reverse_field_name()
    names = (*through.LINK_KEY, *through.LINK_DATA)
    deleted = set(map(id, formset.deleted_forms))
    links = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if id(form) in deleted or not data.get(target):
            continue
        if any(not data.get(name) for name in through.LINK_KEY):
            continue
        values = {name: data.get(name) for name in names if name in data}
        links.append(services.link_class(through).of(data[target], values))
    return links


def _write_form(instance, fields, relations, user, reason):
    """A form's record through the write services: updated if it exists, else created."""
    if instance.pk is not None:
        return services.record_update(
            record=instance, fields=fields, relations=relations, user=user, reason=reason
        )
    return services.record_create(
        model=type(instance), fields=fields, relations=relations, user=user, reason=reason
    )


class ServiceWritesMixin:
    """ModelAdmin steps that write a record, each through the write services."""

    def write_reason(self, request, verb: str) -> str:
        return f"{verb} in the admin"

    # --- one record, its relations and its inlines -----------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing yet: the record is written with its relations in ``save_related``."""

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        fields, relations = form_values(form)
        record_formsets = []
        for formset in formsets:
            role_field = _role_link_field(self.model, formset)
            if role_field is None:
                if _shows_other_side(self.model, formset):
                    self._note_formset_changes(formset)  # read-only here: nothing to write
                else:
                    record_formsets.append(formset)
                continue
            relations[role_field.name] = _role_links(formset, role_field)
            self._note_formset_changes(formset)
        verb = "Changed" if change else "Added"
        record = _write_form(obj, fields, relations, request.user, self.write_reason(request, verb))
        # The admin goes on with form.instance (messages, the log, redirects): make it the
        # saved record.
        obj.pk = record.pk
        obj.refresh_from_db()
        for formset in record_formsets:
            self._save_record_formset(request, record, formset)

    def _note_formset_changes(self, formset) -> None:
        """What Django's change message reads from a saved formset (``formset.save()`` would
        have set it; the service wrote these links instead)."""
        deleted = set(map(id, formset.deleted_forms))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.forms:
            if id(form) in deleted:
                if form.instance.pk is not None:
                    formset.deleted_objects.append(form.instance)
            elif form.instance.pk is None and form.has_changed():
                formset.new_objects.append(form.instance)
            elif form.instance.pk is not None and form.has_changed():
                formset.changed_objects.append((form.instance, form.changed_data))

    def _save_record_formset(self, request, parent, formset) -> None:
        """Each changed, added or deleted record of an inline, through its own service call."""
        self._note_formset_changes(formset)
        parent_field = formset.fk.name
        # Stored in the history: English, whatever the curator's language.
        reason_of = f"in the admin, on {verbose_name(parent)} {parent.slug}"
        for child in formset.deleted_objects:
            services.record_delete(record=child, user=request.user, reason=f"Deleted {reason_of}")
        for form in formset.forms:
            if form.instance in formset.deleted_objects or not form.has_changed():
                continue
            fields, relations = form_values(form)
            fields[parent_field] = parent
            verb = "Changed" if form.instance.pk else "Added"
            saved = _write_form(
                form.instance, fields, relations, request.user, f"{verb} {reason_of}"
            )
            form.instance.pk = saved.pk

    # --- deletion -----------------------------------------------------------------------

    def delete_model(self, request, obj):
        services.record_delete(
            record=obj, user=request.user, reason=self.write_reason(request, "Deleted")
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for record in queryset:
                services.record_delete(
                    record=record,
                    user=request.user,
                    reason=self.write_reason(request, "Deleted (bulk action)"),
                )

    # --- bulk actions -------------------------------------------------------------------

    def update_each(self, request, queryset, service, **kwargs) -> int:
        """Apply a service to every selected record, in one transaction."""
        with transaction.atomic():
            records = list(queryset)
            for record in records:
                service(record=record, user=request.user, **kwargs)
        return len(records)

    # --- revert and restore through the history form -----------------------------------------

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        historical = self.model.history.model
        version = get_object_or_404(
            historical, **{self.model._meta.pk.attname: object_id, "history_id": version_id}
        )
        request.history_version = version
        # The page says which version it shows: when, by whom (or which system path), why.
        extra_context = {**(extra_context or {}), "version": version}
        extra_context["version_author"] = author(version)
        if request.method != "POST" or self.revert_disabled(request, version.instance):
            return super().history_form_view(request, object_id, version_id, extra_context)
        instance = version.instance
        instance._state.adding = False
        form = self.get_form(request, instance)(request.POST, request.FILES, instance=instance)
        if not form.is_valid():
            return super().history_form_view(request, object_id, version_id, extra_context)
        fields, relations = form_values(form)
        current = self.model._base_manager.filter(pk=version.instance.pk).first()
        when = timezone.localtime(version.history_date).strftime("%Y-%m-%d %H:%M:%S %Z")
        try:
            if current is not None:
                record = services.record_revert(
                    record=current,
                    version=version,
                    user=request.user,
                    fields=fields,
                    relations=relations,
                    reason=f"Reverted in the admin to the version of {when}",
                )
                verb = "reverted"
            else:
                record = services.record_restore(
                    model=self.model,
                    record_id=version.instance.pk,
                    user=request.user,
                    fields=fields,
                    reason=f"Restored in the admin from the version of {when}",
                )
                verb = "restored"
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if verb == "reverted":
            message = gettext("The %(kind)s “%(record)s” was reverted.")
        else:
            message = gettext("The %(kind)s “%(record)s” was restored.")
        self.message_user(
            request,
            message % {"kind": self.model._meta.verbose_name, "record": record},
            messages.SUCCESS,
        )
        return self.response_post_save_change(request, record)
