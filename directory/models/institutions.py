"""Institutions: universities, agencies, ministries, companies and their hierarchy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.choices import InstitutionKind
from directory.constraints import FieldCheckConstraint
from directory.identifiers import IdentifierField, identifier_constraint
from directory.models.base import NamedRecord, SearchKeyQuerySet, SlugManager, publish_permission
from directory.models.geo import Located
from directory.models.history import history_model_name
from directory.models.lifecycle import InstitutionSuccession
from directory.models.taxonomy import UNKNOWN_COUNTRY_MESSAGE


class InstitutionQuerySet(SearchKeyQuerySet):
    """Institution reads that the API and the widgets share."""

    def linked(self, *, facilities, programmes, roles=None, facility_kinds=None):
        """Institutions holding any of ``roles`` at one of ``facilities`` or in one of
        ``programmes`` (querysets: the records the caller may see, so a link to a draft
        never counts).

        With ``facility_kinds``, only links to facilities of those kinds count, so
        ``roles=["operator"], facility_kinds=["spallation_neutron"]`` gives the
        institutions that operate a neutron source.
        """
        from directory.models.facilities import FacilityRole
        from directory.models.programmes import ProgrammeRole

        facility_links = FacilityRole.objects.filter(facility__in=facilities)
        programme_links = ProgrammeRole.objects.filter(programme__in=programmes)
        if roles:
            facility_links = facility_links.filter(role__in=roles)
            programme_links = programme_links.filter(role__in=roles)
        if facility_kinds:
            return self.filter(
                pk__in=facility_links.filter(facility__kind__in=facility_kinds).values(
                    "institution_id"
                )
            )
        return self.filter(
            Q(pk__in=facility_links.values("institution_id"))
            | Q(pk__in=programme_links.values("institution_id"))
        )


IDENTIFIER_COLUMNS = ("ror_id", "wikidata_id", "isni", "crossref_funder_id")
#: Slugs an institution cannot have: the API routes /api/v1/institutions/<slug>/ to other
#: answers there (api/urls.py: the affiliation matcher), so such a record's detail could
#: never be reached.
RESERVED_SLUGS = ("match",)


class Institution(NamedRecord, Located):
    """An organisation that runs, funds or takes part in facilities and programmes."""

    API_RESOURCE = "institutions"
    PLACE_TERM_FIELDS = ("city", "city_ja", "country")
    #: A unit is found by its published parent's names too (IMR by "Tohoku University"),
    #: after the parent itself.
    KEY_RELATIONS = ("parent",)

    kind = models.CharField(_("kind"), max_length=40, choices=InstitutionKind.choices)
    country = models.ForeignKey(
        "directory.Country",
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        related_name="institutions",
        error_messages={"invalid": UNKNOWN_COUNTRY_MESSAGE},
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    city_ja = models.CharField(
        _("city (Japanese)"),
        max_length=120,
        blank=True,
        help_text=_("The city's Japanese name, e.g. 仙台市; searched like the English one."),
    )
    ror_id = IdentifierField(
        _("ROR id"),
        scheme="ror",
        help_text=_(
            "Research Organization Registry id, e.g. 057zh3y96 or https://ror.org/057zh3y96 "
            "(checked: shape and checksum). Filled by accepting an import_ror proposal."
        ),
    )
    wikidata_id = IdentifierField(
        _("Wikidata id"), scheme="wikidata", help_text=_("The Wikidata item, e.g. Q42.")
    )
    isni = IdentifierField(
        _("ISNI"),
        scheme="isni",
        help_text=_("International Standard Name Identifier, 16 characters (spaces allowed)."),
    )
    crossref_funder_id = IdentifierField(
        _("Crossref Funder ID"),
        scheme="crossref_funder_id",
        help_text=_("For funders: 10.13039/ followed by digits, or the digits alone."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The body this one belongs to, e.g. UKRI for STFC."),
    )

    successors = models.ManyToManyField(
        "self",
        through=InstitutionSuccession,
        through_fields=("predecessor", "successor"),
        symmetrical=False,
        related_name="predecessors",
        blank=True,
        verbose_name=_("successors"),
    )

    objects = SlugManager.from_queryset(InstitutionQuerySet)()
    # Its successions are snapshotted in each entry, like a facility's role links.
    history = HistoricalRecords(m2m_fields=[successors], custom_model_name=history_model_name)

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("institution")
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            *Located.Meta.constraints,
            *(identifier_constraint(column) for column in IDENTIFIER_COLUMNS),
            FieldCheckConstraint(
                field="slug",
                condition=~Q(slug__in=RESERVED_SLUGS),
                name="%(app_label)s_%(class)s_slug_not_an_api_route",
                violation_error_message=_(
                    "This slug is an address of the API (/api/v1/institutions/match/ is the "
                    "affiliation matcher): choose another."
                ),
            ),
            FieldCheckConstraint(
                field="parent",
                condition=Q(parent__isnull=True) | ~Q(parent=models.F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("An institution cannot be its own parent."),
            ),
        ]
        indexes = [
            models.Index(fields=["country", "kind", "name"], name="institution_country_kind_name"),
            models.Index(
                fields=["id"], condition=Q(is_published=True), name="institution_published"
            ),
            models.Index(fields=["kind"], name="institution_kind"),
            models.Index(fields=["latitude", "longitude"], name="institution_coordinates"),
            models.Index(fields=["name"], name="institution_name"),
        ]

    @property
    def ror_url(self) -> str:
        return f"https://ror.org/{self.ror_id}" if self.ror_id else ""

    def clean(self):
        super().clean()
        if self.pk is None or self.parent_id is None or self.parent_id == self.pk:
            return  # a new record has no descendants; self-parenting is a constraint
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.parent_id == self.pk:
                message = gettext("This parent would make a cycle: %(name)s is already above it.")
                raise ValidationError({"parent": message % {"name": self.name}})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
