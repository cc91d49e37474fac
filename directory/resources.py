"""Bulk import/export of records as CSV or JSON rows (django-import-export resources).

Rows are matched by slug, so importing the same file twice changes nothing. Related records
are written by slug: lists as ``slug; slug``, role links as ``slug:role; slug:role``,
successors as ``slug:type; slug:type`` (a succession's date, note and citations are kept
while its successor stays; they travel whole with ``export_directory``).
Every row is written by the write services (directory.services) — the same rules, history and
change feed as the admin and the API — and an import runs in one transaction: one bad row
and nothing is written.

CSV files are written and read by :class:`SpreadsheetCSV`: a byte-order mark first, text cells
that a spreadsheet would run as a formula neutralised on export and restored on import
(``directory.csvsafe``); numeric fields are exported as numbers (:class:`NumbersAsNumbers`),
so a negative longitude stays a number.
"""

from __future__ import annotations

import datetime

import tablib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export import resources, widgets
from import_export.fields import Field
from import_export.formats.base_formats import CSV

from directory import csvsafe, services
from directory.choices import (
    FacilityRoleKind,
    InstitutionSuccessionType,
    ProgrammeRoleKind,
    SuccessionType,
)
from directory.identifiers import IdentifierField
from directory.models import (
    AccessMode,
    Call,
    Country,
    Facility,
    FacilityRole,
    FacilitySuccession,
    Institution,
    InstitutionSuccession,
    Programme,
    ProgrammeRole,
    ProgrammeSuccession,
    ResearchField,
    Technique,
)
from directory.services import RoleLink, SuccessionLink

LIST_SEPARATOR = ";"


class SpreadsheetCSV(CSV):
    """import-export's CSV, safe to open in a spreadsheet (see ``directory.csvsafe``).

    Export: the UTF-8 byte-order mark first (Excel shows Japanese correctly), and every text
    cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return prefixed with
    ``'`` (OWASP's CSV-injection rule); numbers are written untouched. Import: that ``'`` is
    removed again, exactly where the export added it (``csvsafe.restore``), so an exported
    file imports back unchanged; the admin reads files as ``utf-8-sig``, which drops the BOM.

    (import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not used: in 4.4 it
    only handles ``=``, and deletes it, changing the data instead of quoting it.)
    """

    def export_data(self, dataset, **kwargs):
        rows = [dataset.headers, *dataset] if dataset.headers else list(dataset)
        return csvsafe.write_rows(rows, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        headers = [csvsafe.restore(name) for name in dataset.headers or []]
        restored = tablib.Dataset(headers=headers or None)
        for row in dataset:
            restored.append([csvsafe.restore(value) for value in row])
        return restored


class IdentifierWidget(widgets.CharWidget):
    """An identifier cell: empty is no identifier (NULL, as stored), so an exported file
    imports back unchanged; any other value goes to the write service, which normalises
    and validates it."""

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row, **kwargs)
        return value.strip() or None if isinstance(value, str) else value


class NumbersAsNumbers(resources.ModelResource):
    """A resource whose numeric fields export as numbers, not as text.

    import-export renders every value as text by default; here integer, float and decimal
    fields keep their type (the widget's public ``coerce_to_string=False``), so the CSV export
    can tell a longitude of -87.98 (data, written as it is) from a name "-2+3" (text,
    neutralised). In the JSON export, integers and floats are JSON numbers and decimals
    exact strings, as in the API; an empty number is null. Import reads either form.
    """

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if isinstance(f, IdentifierField):
            return IdentifierWidget
        return super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        widget = cls.widget_from_django_field(django_field)  # a class, or a partial (relations)
        if isinstance(widget, type) and issubclass(widget, widgets.NumberWidget):
            kwargs.setdefault("coerce_to_string", False)
        return kwargs


class SlugListWidget(widgets.ManyToManyWidget):
    """Related records by slug (or code), separated by semicolons; unknown ones are an error."""

    def __init__(self, model, field="slug"):
        super().__init__(model, separator=LIST_SEPARATOR, field=field)

    def clean(self, value, row=None, **kwargs):
        wanted = [part.strip() for part in str(value or "").split(self.separator) if part.strip()]
        found = list(self.model.objects.filter(**{f"{self.field}__in": wanted}))
        missing = sorted(set(wanted) - {str(getattr(obj, self.field)) for obj in found})
        if missing:
            raise ValueError(
                gettext("unknown %(kind)s %(field)s(s): %(values)s")
                % {
                    "kind": self.model._meta.verbose_name,
                    "field": self.field,
                    "values": ", ".join(missing),
                }
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f"{self.separator} ".join(str(getattr(item, self.field)) for item in value.all())


class ForeignKeyBySlugWidget(widgets.ForeignKeyWidget):
    """A foreign key by slug (or code), with a readable error for an unknown one."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(str(value).strip(), row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                gettext("unknown %(kind)s %(field)s: %(value)s")
                % {"kind": self.model._meta.verbose_name, "field": self.field, "value": value}
            ) from None


class JSONListWidget(widgets.JSONWidget):
    """Aliases and sources: JSON in the cell; an empty cell is an empty list."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, (list, dict)):
            return value  # a JSON file gives real arrays, not text
        cleaned = super().clean(value, row, **kwargs)
        return [] if cleaned is None else cleaned

    def render(self, value, obj=None, **kwargs):
        return super().render(value if value else [], obj, **kwargs)


class RoleLinksWidget(widgets.Widget):
    """Role links as ``institution-slug:role; institution-slug:role``."""

    def __init__(self, role_choices):
        self.role_choices = role_choices
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        links = []
        for part in str(value or "").split(LIST_SEPARATOR):
            if not part.strip():
                continue
            slug, _, role = part.strip().partition(":")
            slug, role = slug.strip(), role.strip()
            if role not in self.role_choices.values:
                raise ValueError(
                    gettext("'%(link)s': role must be one of %(roles)s")
                    % {"link": part.strip(), "roles": ", ".join(self.role_choices.values)}
                )
            links.append((slug, role))
        slugs = {slug for slug, _ in links}
        known = set(Institution.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        if slugs - known:
            raise ValueError(
                gettext("unknown institution slug(s): %(slugs)s")
                % {"slugs": ", ".join(sorted(slugs - known))}
            )
        return links

    def render(self, value, obj=None, **kwargs):
        return f"{LIST_SEPARATOR} ".join(f"{slug}:{role}" for slug, role in value or [])


class SuccessorsWidget(widgets.Widget):
    """Successors as ``successor-slug:type; successor-slug:type``."""

    def __init__(self, model, type_choices):
        self.model = model
        self.type_choices = type_choices
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        pairs = []
        for part in str(value or "").split(LIST_SEPARATOR):
            if not part.strip():
                continue
            slug, _, kind = part.strip().partition(":")
            slug, kind = slug.strip(), kind.strip()
            if kind not in self.type_choices.values:
                raise ValueError(
                    gettext("'%(link)s': type must be one of %(types)s")
                    % {"link": part.strip(), "types": ", ".join(self.type_choices.values)}
                )
            pairs.append((slug, kind))
        slugs = {slug for slug, _ in pairs}
        known = set(self.model.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        if slugs - known:
            raise ValueError(
                gettext("unknown slug(s): %(slugs)s") % {"slugs": ", ".join(sorted(slugs - known))}
            )
        return pairs

    def render(self, value, obj=None, **kwargs):
        return f"{LIST_SEPARATOR} ".join(f"{slug}:{kind}" for slug, kind in value or [])


class DirectoryResource(NumbersAsNumbers):
    """Shared behaviour: rows keyed by slug, validated by the model's own rules, one transaction."""

    #: (column, role-link model, owner field, role choices) for records with role links
    role_links: tuple | None = None
    #: the succession model of records that have successors
    successions = None

    aliases = Field(attribute="aliases", column_name="aliases", widget=JSONListWidget())
    sources = Field(attribute="sources", column_name="sources", widget=JSONListWidget())

    class Meta:
        import_id_fields = ("slug",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        # Successors are a column of their own (SuccessorsWidget), not the model's relation.
        exclude = (
            "id",
            "search_key",
            "place_key",
            "version",
            "is_synthetic",
            "created_at",
            "updated_at",
            "successors",
        )

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance._pending_role_links = None
        instance._pending_successors = None
        if self.role_links and self.role_links[0] in row:
            column = self.role_links[0]
            try:
                instance._pending_role_links = self.fields[column].clean(row, **kwargs)
            except ValueError as error:
                raise ValidationError({column: str(error)}) from None
        if self.successions is not None and "successors" in row:
            try:
                instance._pending_successors = self.fields["successors"].clean(row, **kwargs)
            except ValueError as error:
                raise ValidationError({"successors": str(error)}) from None

    def skip_row(self, instance, original, row, import_validation_errors=None):
        links = getattr(instance, "_pending_role_links", None)
        successors = getattr(instance, "_pending_successors", None)
        stored = original is not None and original.pk is not None
        if (
            stored
            and links is not None
            and set(links) != set(self.dehydrate_role_link_pairs(original))
        ):
            return False
        if (
            stored
            and successors is not None
            and set(successors) != set(self.dehydrate_successor_pairs(original))
        ):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Only the errors of reading the row: the write service validates the record."""
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def _relations(self, instance, row, **kwargs) -> dict:
        relations = {}
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    relations[field.attribute] = field.clean(row, **kwargs)
                except ValueError as error:
                    raise ValidationError({field.column_name: str(error)}) from None
        links = getattr(instance, "_pending_role_links", None)
        if self.role_links and links is not None:
            institutions = Institution.objects.in_bulk(
                [slug for slug, _ in links], field_name="slug"
            )
            _column, through, owner, _choices = self.role_links
            # The CSV carries slug:role only: a link it keeps keeps its note and review flag.
            kept = {}
            if instance.pk is not None:
                kept = {
                    (row.institution_id, row.role): (row.note, row.needs_review)
                    for row in through._base_manager.filter(**{owner: instance.pk})
                }
            relations[self.role_links[0]] = [
                RoleLink(
                    institutions[slug],
                    role,
                    *kept.get((institutions[slug].pk, role), ("", False)),
                )
                for slug, role in links
            ]
        pairs = getattr(instance, "_pending_successors", None)
        if self.successions is not None and pairs is not None:
            relations["successors"] = self._successor_links(instance, pairs)
        return relations

    def _successor_links(self, instance, pairs) -> list[SuccessionLink]:
        """The row's successors; a successor the record already has keeps the date, note and
        citations stored with it (a cell holds only the slug and the type)."""
        model = type(instance)
        targets = model.objects.in_bulk([slug for slug, _ in pairs], field_name="slug")
        stored = {}
        if instance.pk is not None:
            stored = {
                row.successor_id: row
                for row in self.successions.objects.filter(predecessor_id=instance.pk)
            }
        links = []
        for slug, kind in pairs:
            target = targets[slug]
            kept = stored.get(target.pk)
            values = (
                {}
                if kept is None
                else {name: getattr(kept, name) for name in self.successions.LINK_DATA}
            )
            links.append(SuccessionLink.of(target, {**values, "type": kind}))
        return links

    def save_instance(self, instance, is_create, row, **kwargs):
        """The row's values and relations, written by a write service (one history entry)."""
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return
        fields = {
            field.attribute: getattr(instance, field.attribute)
            for field in self.get_import_fields()
            if field.attribute
            and field.column_name in row
            and not isinstance(field.widget, widgets.ManyToManyWidget)
        }
        relations = self._relations(instance, row, **kwargs)
        user = kwargs.get("user")
        reason = "Imported in the admin"
        if is_create:
            record = services.record_create(
                model=type(instance), fields=fields, relations=relations, user=user, reason=reason
            )
        else:
            record = services.record_update(
                record=instance, fields=fields, relations=relations, user=user, reason=reason
            )
        instance.pk = record.pk

    def save_m2m(self, instance, row, **kwargs):
        """Written with the record by ``save_instance``."""

    def dehydrate_role_link_pairs(self, record) -> list[tuple[str, str]]:
        _, model, owner, _ = self.role_links
        return [
            (link.institution.slug, link.role)
            for link in model.objects.filter(**{owner: record}).select_related("institution")
        ]

    def dehydrate_successor_pairs(self, record) -> list[tuple[str, str]]:
        rows = self.successions.objects.filter(predecessor=record).select_related("successor")
        return [(row.successor.slug, row.type) for row in rows]

    def dehydrate_successors(self, record) -> str:
        """Successors as the import reads them back: ``slug:type; slug:type``."""
        pairs = self.dehydrate_successor_pairs(record) if record.pk else []
        return self.fields["successors"].widget.render(pairs)

    def dehydrate_role_links(self, record) -> str:
        """Role links as the import reads them back: ``slug:role; slug:role``."""
        return self.fields[self.role_links[0]].widget.render(self.dehydrate_role_link_pairs(record))


class InstitutionResource(DirectoryResource):
    country = Field(
        attribute="country",
        column_name="country",
        widget=ForeignKeyBySlugWidget(Country, field="code"),
    )
    parent = Field(
        attribute="parent", column_name="parent", widget=ForeignKeyBySlugWidget(Institution, "slug")
    )

    successions = InstitutionSuccession
    successors = Field(
        column_name="successors",
        widget=SuccessorsWidget(Institution, InstitutionSuccessionType),
        dehydrate_method="dehydrate_successors",
    )

    class Meta(DirectoryResource.Meta):
        model = Institution


class FacilityResource(DirectoryResource):
    role_links = ("institutions", FacilityRole, "facility", FacilityRoleKind)

    country = Field(
        attribute="country",
        column_name="country",
        widget=ForeignKeyBySlugWidget(Country, field="code"),
    )
    techniques = Field(
        attribute="techniques", column_name="techniques", widget=SlugListWidget(Technique)
    )
    access_modes = Field(
        attribute="access_modes", column_name="access_modes", widget=SlugListWidget(AccessMode)
    )
    fields = Field(attribute="fields", column_name="fields", widget=SlugListWidget(ResearchField))
    institutions = Field(
        column_name="institutions",
        widget=RoleLinksWidget(FacilityRoleKind),
        dehydrate_method="dehydrate_role_links",
    )
    successions = FacilitySuccession
    successors = Field(
        column_name="successors",
        widget=SuccessorsWidget(Facility, SuccessionType),
        dehydrate_method="dehydrate_successors",
    )

    class Meta(DirectoryResource.Meta):
        model = Facility
        exclude = (*DirectoryResource.Meta.exclude, "institutions")


class ProgrammeResource(DirectoryResource):
    role_links = ("institutions", ProgrammeRole, "programme", ProgrammeRoleKind)

    countries = Field(
        attribute="countries",
        column_name="countries",
        widget=SlugListWidget(Country, field="code"),
    )
    fields = Field(attribute="fields", column_name="fields", widget=SlugListWidget(ResearchField))
    facilities = Field(
        attribute="facilities", column_name="facilities", widget=SlugListWidget(Facility)
    )
    institutions = Field(
        column_name="institutions",
        widget=RoleLinksWidget(ProgrammeRoleKind),
        dehydrate_method="dehydrate_role_links",
    )
    successions = ProgrammeSuccession
    successors = Field(
        column_name="successors",
        widget=SuccessorsWidget(Programme, SuccessionType),
        dehydrate_method="dehydrate_successors",
    )

    class Meta(DirectoryResource.Meta):
        model = Programme
        exclude = (*DirectoryResource.Meta.exclude, "institutions")


class DeadlineWidget(widgets.Widget):
    """A deadline as ISO 8601: with an offset, that instant; without one, the funder's local
    time (the model reads it in the call's deadline time zone, as the admin form does).
    Exported with the funder's offset (CallResource.dehydrate_closes_at)."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value
        text = str(value).strip().replace("Z", "+00:00")
        try:
            return datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                gettext(
                    "%(value)s is not a date and time: write 2027-01-31 12:00 (the funder's "
                    "local time) or 2027-01-31T12:00:00+09:00."
                )
                % {"value": repr(value)}
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class CallResource(DirectoryResource):
    programme = Field(
        attribute="programme",
        column_name="programme",
        widget=ForeignKeyBySlugWidget(Programme, "slug"),
    )
    closes_at = Field(attribute="closes_at", column_name="closes_at", widget=DeadlineWidget())

    def dehydrate_closes_at(self, call) -> str:
        """The deadline as the funder states it, with its offset."""
        return call.closes_at_local.isoformat()

    class Meta(DirectoryResource.Meta):
        model = Call


class TechniqueResource(DirectoryResource):
    class Meta(DirectoryResource.Meta):
        model = Technique


class ResearchFieldResource(DirectoryResource):
    class Meta(DirectoryResource.Meta):
        model = ResearchField


class AccessModeResource(DirectoryResource):
    class Meta(DirectoryResource.Meta):
        model = AccessMode
