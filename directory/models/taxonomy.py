"""Reference vocabularies: countries, techniques, research fields and access modes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.choices import AccessModeKind, Probe
from directory.models.base import NamedRecord, publish_permission

UNKNOWN_COUNTRY_MESSAGE = _("%(value)s is not an ISO 3166-1 alpha-2 country code (e.g. JP, GB).")


class Country(models.Model):
    """An ISO 3166-1 country; the alpha-2 code is the primary key, so references read "JP", "GB"."""

    code = models.CharField(_("ISO 3166-1 alpha-2 code"), max_length=2, primary_key=True)
    name = models.CharField(_("name (English)"), max_length=100)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2}$"),
                name="%(app_label)s_%(class)s_code_alpha2",
                violation_error_message=_("A country code is two capital letters (ISO 3166-1)."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Technique(NamedRecord):
    """An experimental technique offered at facilities (e.g. X-ray absorption spectroscopy)."""

    API_RESOURCE = "techniques"

    probe = models.CharField(_("probe"), max_length=20, choices=Probe.choices)

    history = HistoricalRecords()

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("technique")
        verbose_name = _("technique")
        verbose_name_plural = _("techniques")


class ResearchField(NamedRecord):
    """A research field served by facilities and funded by programmes (e.g. quantum technology)."""

    API_RESOURCE = "fields"

    history = HistoricalRecords()

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("researchfield")
        verbose_name = _("research field")
        verbose_name_plural = _("research fields")


class AccessMode(NamedRecord):
    """A way for a team to use a facility (peer-reviewed proposal, paid access, …)."""

    API_RESOURCE = ""

    kind = models.CharField(_("kind"), max_length=20, choices=AccessModeKind.choices, unique=True)

    history = HistoricalRecords()

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("accessmode")
        verbose_name = _("access mode")
        verbose_name_plural = _("access modes")

    def get_absolute_url(self) -> str:
        """The facilities open through this mode."""
        return f"/api/v1/facilities/?access_mode={self.slug}"
