"""Facilities, their operators and partners, and their instruments."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from directory.choices import (
    CURRENCY_CHOICES,
    FacilityKind,
    FacilityRoleKind,
    FacilityStatus,
    InstrumentKind,
)
from directory.models.base import NamedRecord
from directory.models.geo import Located

YEAR_MIN, YEAR_MAX = 1900, 2100
_year_validators = [MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)]


def _non_negative(field: str, label: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
        name=f"%(app_label)s_%(class)s_{field}_non_negative",
        violation_error_message=f"{label} cannot be negative.",
    )


def _year_in_range(field: str, label: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": YEAR_MIN, f"{field}__lte": YEAR_MAX}),
        name=f"%(app_label)s_%(class)s_{field}_range",
        violation_error_message=f"{label} must be between {YEAR_MIN} and {YEAR_MAX}.",
    )


def amount_needs_currency(amount: str, currency: str, label: str) -> models.CheckConstraint:
    """An amount without its ISO 4217 currency means nothing; the database refuses it."""
    return models.CheckConstraint(
        condition=Q(**{f"{amount}__isnull": True}) | ~Q(**{currency: ""}),
        name=f"%(app_label)s_%(class)s_{amount}_has_currency",
        violation_error_message=f"{label} needs a currency (ISO 4217, e.g. JPY, GBP, EUR).",
    )


class Facility(NamedRecord, Located):
    """A large research facility: a light source, neutron source, accelerator, fusion device…"""

    kind = models.CharField("kind", max_length=40, choices=FacilityKind.choices)
    status = models.CharField("status", max_length=40, choices=FacilityStatus.choices)
    country = models.ForeignKey(
        "directory.Country",
        verbose_name="country",
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    city = models.CharField("city", max_length=120, blank=True)
    site = models.CharField(
        "site", max_length=255, blank=True, help_text="Campus or site, e.g. Aobayama New Campus."
    )
    energy_gev = models.DecimalField(
        "beam energy (GeV)",
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    circumference_m = models.DecimalField(
        "circumference (m)",
        max_digits=10,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    beamline_count = models.IntegerField(
        "number of beamlines or instruments",
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    first_operation_year = models.IntegerField(
        "year of first operation", null=True, blank=True, validators=_year_validators
    )
    user_programme_year = models.IntegerField(
        "year the user programme opened", null=True, blank=True, validators=_year_validators
    )
    construction_cost = models.DecimalField(
        "construction cost",
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    construction_cost_currency = models.CharField(
        "construction cost currency", max_length=3, choices=CURRENCY_CHOICES, blank=True
    )
    institutions = models.ManyToManyField(
        "directory.Institution",
        through="directory.FacilityRole",
        related_name="facilities",
        verbose_name="operators and partners",
        blank=True,
    )
    techniques = models.ManyToManyField(
        "directory.Technique", related_name="facilities", blank=True
    )
    access_modes = models.ManyToManyField(
        "directory.AccessMode", related_name="facilities", blank=True
    )
    fields = models.ManyToManyField(
        "directory.ResearchField",
        related_name="facilities",
        blank=True,
        verbose_name="research fields",
    )

    class Meta(NamedRecord.Meta):
        verbose_name_plural = "facilities"
        constraints = [
            *Located.Meta.constraints,
            _non_negative("energy_gev", "Beam energy"),
            _non_negative("circumference_m", "Circumference"),
            _non_negative("beamline_count", "The number of beamlines"),
            _non_negative("construction_cost", "Construction cost"),
            _year_in_range("first_operation_year", "The year of first operation"),
            _year_in_range("user_programme_year", "The year the user programme opened"),
            amount_needs_currency(
                "construction_cost", "construction_cost_currency", "Construction cost"
            ),
        ]
        indexes = [
            models.Index(fields=["country", "kind"], name="facility_country_kind"),
            models.Index(fields=["status"], name="facility_status"),
        ]


class FacilityRoleManager(models.Manager):
    """Looks a role link up by (facility slug, institution slug, role)."""

    def get_by_natural_key(self, facility_slug, institution_slug, role):
        return self.get(facility__slug=facility_slug, institution__slug=institution_slug, role=role)


class FacilityRole(models.Model):
    """The part an institution plays at a facility (operator, owner, funder, …)."""

    facility = models.ForeignKey(
        "directory.Facility", on_delete=models.CASCADE, related_name="roles"
    )
    institution = models.ForeignKey(
        "directory.Institution", on_delete=models.PROTECT, related_name="facility_roles"
    )
    role = models.CharField("role", max_length=30, choices=FacilityRoleKind.choices)
    note = models.CharField("note", max_length=255, blank=True)

    objects = FacilityRoleManager()

    class Meta:
        ordering = ["facility_id", "role", "institution_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "institution", "role"],
                name="%(app_label)s_%(class)s_unique_role",
                violation_error_message="This institution already has this role at this facility.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} — {self.get_role_display()} — {self.facility}"

    def natural_key(self):
        return (*self.facility.natural_key(), *self.institution.natural_key(), self.role)

    natural_key.dependencies = ["directory.facility", "directory.institution"]


class Instrument(NamedRecord):
    """A named beamline or instrument at a facility (e.g. Diamond's B16)."""

    facility = models.ForeignKey(
        "directory.Facility", on_delete=models.CASCADE, related_name="instruments"
    )
    kind = models.CharField(
        "kind", max_length=20, choices=InstrumentKind.choices, default=InstrumentKind.BEAMLINE
    )
    techniques = models.ManyToManyField(
        "directory.Technique", related_name="instruments", blank=True
    )

    class Meta(NamedRecord.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"],
                name="%(app_label)s_%(class)s_unique_name_per_facility",
                violation_error_message="This facility already has an instrument with this name.",
            )
        ]
