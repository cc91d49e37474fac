"""Facilities, their operators and partners, and their instruments."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.choices import (
    CURRENCY_CHOICES,
    DatePrecision,
    FacilityKind,
    FacilityRoleKind,
    FacilityStatus,
    InstrumentKind,
)
from directory.constraints import (
    FieldCheckConstraint,
    amount_needs_currency,
    non_negative,
    year_in_range,
)
from directory.identifiers import IdentifierField, identifier_constraint
from directory.models.base import (
    GuardedQuerySet,
    GuardedWrites,
    NamedRecord,
    SearchKeyQuerySet,
    SlugManager,
    publish_permission,
)
from directory.models.geo import Located
from directory.models.history import history_model_name
from directory.models.lifecycle import FacilitySuccession
from directory.models.taxonomy import UNKNOWN_COUNTRY_MESSAGE

OPERATING_ROLES = (FacilityRoleKind.OPERATOR, FacilityRoleKind.CO_OPERATOR)


class FacilityQuerySet(SearchKeyQuerySet):
    """Facility reads that the API and the widgets share."""

    def operated_by(self, institutions):
        """Facilities that any of ``institutions`` (a queryset) operates or co-operates."""
        return self.filter(
            pk__in=FacilityRole.objects.filter(
                role__in=OPERATING_ROLES, institution__in=institutions
            ).values("facility_id")
        )


class FacilityRoleManager(models.Manager.from_queryset(GuardedQuerySet)):
    """Looks a role link up by (facility slug, institution slug, role)."""

    def get_by_natural_key(self, facility_slug, institution_slug, role):
        return self.get(facility__slug=facility_slug, institution__slug=institution_slug, role=role)


class FacilityRole(GuardedWrites):
    """The part an institution plays at a facility (operator, owner, funder, …)."""

    #: How the write services read a link of this kind besides its two ends (the relation
    #: names those): its key and its data (see services.records).
    LINK_KEY = ("role",)
    LINK_DATA = ("note", "needs_review")
    #: What the institution's own representation shows of the link.
    LINK_SHOWN = ("role", "note", "needs_review")

    facility = models.ForeignKey(
        "directory.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="roles",
    )
    institution = models.ForeignKey(
        "directory.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="facility_roles",
    )
    role = models.CharField(_("role"), max_length=30, choices=FacilityRoleKind.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # A link can rest on a fact nobody has checked (general knowledge, a doubtful seed
    # line) while both records it joins are sound: the flag sits on the link, and the API
    # shows it on the link at both ends.
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_("This link rests on an unchecked fact; the note says which."),
    )

    objects = FacilityRoleManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("facility role")
        verbose_name_plural = _("operators and partners")
        ordering = ["facility_id", "role", "institution_id"]
        base_manager_name = "objects"  # guarded too (see NamedRecord.Meta)
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "institution", "role"],
                name="%(app_label)s_%(class)s_unique_role",
                violation_error_message=_(
                    "This institution already has this role at this facility."
                ),
            ),
            FieldCheckConstraint(
                field="note",
                condition=Q(needs_review=False) | ~Q(note=""),
                name="%(app_label)s_%(class)s_flag_has_note",
                violation_error_message=_("A link that needs review needs a note naming the fact."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} — {self.get_role_display()} — {self.facility}"

    def natural_key(self):
        return (*self.facility.natural_key(), *self.institution.natural_key(), self.role)

    natural_key.dependencies = ["directory.facility", "directory.institution"]


class Facility(NamedRecord, Located):
    """A large research facility: a light source, neutron source, accelerator, fusion device…"""

    API_RESOURCE = "facilities"
    PLACE_TERM_FIELDS = ("city", "city_ja", "site", "country")

    kind = models.CharField(_("kind"), max_length=40, choices=FacilityKind.choices)
    status = models.CharField(_("status"), max_length=40, choices=FacilityStatus.choices)
    country = models.ForeignKey(
        "directory.Country",
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        related_name="facilities",
        error_messages={"invalid": UNKNOWN_COUNTRY_MESSAGE},
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    city_ja = models.CharField(
        _("city (Japanese)"),
        max_length=120,
        blank=True,
        help_text=_("The city's Japanese name, e.g. 仙台市; searched like the English one."),
    )
    site = models.CharField(
        _("site"),
        max_length=255,
        blank=True,
        help_text=_("Campus or site, e.g. Aobayama New Campus."),
    )
    energy_gev = models.DecimalField(
        _("beam energy (GeV)"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
    )
    circumference_m = models.DecimalField(
        _("circumference (m)"),
        max_digits=10,
        decimal_places=1,
        null=True,
        blank=True,
    )
    beamline_count = models.IntegerField(
        _("number of beamlines or instruments"),
        null=True,
        blank=True,
    )
    first_operation_year = models.IntegerField(_("year of first operation"), null=True, blank=True)
    user_programme_year = models.IntegerField(
        _("year the user programme opened"), null=True, blank=True
    )
    construction_cost = models.DecimalField(
        _("construction cost"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
    )
    construction_cost_currency = models.CharField(
        _("construction cost currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True
    )
    wikidata_id = IdentifierField(
        _("Wikidata id"), scheme="wikidata", help_text=_("The Wikidata item, e.g. Q42.")
    )
    institutions = models.ManyToManyField(
        "directory.Institution",
        through=FacilityRole,
        related_name="facilities",
        verbose_name=_("operators and partners"),
        blank=True,
    )
    techniques = models.ManyToManyField(
        "directory.Technique", related_name="facilities", blank=True, verbose_name=_("techniques")
    )
    access_modes = models.ManyToManyField(
        "directory.AccessMode",
        related_name="facilities",
        blank=True,
        verbose_name=_("access modes"),
    )
    fields = models.ManyToManyField(
        "directory.ResearchField",
        related_name="facilities",
        blank=True,
        verbose_name=_("research fields"),
    )
    closed_on = models.DateField(
        _("closed on"),
        null=True,
        blank=True,
        help_text=_("When it stopped operating; only for a closed facility."),
    )
    closed_on_precision = models.CharField(
        _("closing date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("A year-precise closing is stored as 31 December of that year."),
    )
    successors = models.ManyToManyField(
        "self",
        through=FacilitySuccession,
        through_fields=("predecessor", "successor"),
        symmetrical=False,
        related_name="predecessors",
        blank=True,
        verbose_name=_("successors"),
    )

    objects = SlugManager.from_queryset(FacilityQuerySet)()
    # One history entry per write, with every relation the record owns: its role links
    # (through FacilityRole) and its successions are snapshotted like its plain links.
    history = HistoricalRecords(
        m2m_fields=[institutions, techniques, access_modes, fields, successors],
        custom_model_name=history_model_name,
    )

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("facility")
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            *Located.Meta.constraints,
            non_negative("energy_gev", _("Beam energy")),
            non_negative("circumference_m", _("Circumference")),
            non_negative("beamline_count", _("The number of beamlines")),
            non_negative("construction_cost", _("Construction cost")),
            year_in_range("first_operation_year", _("The year of first operation")),
            year_in_range("user_programme_year", _("The year the user programme opened")),
            amount_needs_currency(
                "construction_cost", "construction_cost_currency", _("Construction cost")
            ),
            identifier_constraint("wikidata_id"),
            FieldCheckConstraint(
                field="closed_on",
                condition=Q(closed_on__isnull=True) | Q(status=FacilityStatus.CLOSED),
                name="%(app_label)s_%(class)s_closed_on_needs_closed",
                violation_error_message=_(
                    "Only a closed facility has a closing date (set its status to closed)."
                ),
            ),
            FieldCheckConstraint(
                field="closed_on",
                condition=Q(closed_on__isnull=True)
                | Q(first_operation_year__isnull=True)
                | Q(closed_on__year__gte=F("first_operation_year")),
                name="%(app_label)s_%(class)s_closed_after_opening",
                violation_error_message=_(
                    "A facility cannot close before the year it first operated."
                ),
            ),
        ]
        indexes = [
            # country + kind + name over published records: the public filtered list pages in
            # name order without a sort and counts its matches from the index alone (no table
            # reads: a tenth of the time of counting through the table at 100k records).
            models.Index(
                fields=["country", "kind", "name"],
                condition=Q(is_published=True),
                name="facility_public_country_kind",
            ),
            # Counting published records reads this narrow index, not the wide table.
            models.Index(fields=["id"], condition=Q(is_published=True), name="facility_published"),
            models.Index(fields=["status"], name="facility_status"),
            models.Index(fields=["kind", "status"], name="facility_kind_status"),
            models.Index(fields=["latitude", "longitude"], name="facility_coordinates"),
            models.Index(fields=["first_operation_year"], name="facility_first_operation"),
            models.Index(fields=["energy_gev"], name="facility_energy"),
            models.Index(fields=["name"], name="facility_name"),
        ]

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude=exclude)
        self._round_closing()

    def _round_closing(self) -> None:
        from directory.models.programmes import _round_date

        self.closed_on = _round_date(self.closed_on, self.closed_on_precision, end=True)

    def prepare_for_save(self) -> None:
        super().prepare_for_save()
        self._round_closing()


class Instrument(NamedRecord):
    """A named beamline or instrument at a facility (e.g. Diamond's B16)."""

    API_RESOURCE = "instruments"

    facility = models.ForeignKey(
        "directory.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="instruments",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=InstrumentKind.choices, default=InstrumentKind.BEAMLINE
    )
    techniques = models.ManyToManyField(
        "directory.Technique", related_name="instruments", blank=True, verbose_name=_("techniques")
    )

    history = HistoricalRecords(m2m_fields=[techniques])

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("instrument")
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"],
                name="%(app_label)s_%(class)s_unique_name_per_facility",
                violation_error_message=_(
                    "This facility already has an instrument with this name."
                ),
            )
        ]
