"""Coordinates shared by institutions and facilities, with their range constraints."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.constraints import FieldCheckConstraint


class Located(models.Model):
    """Optional WGS 84 coordinates; both or neither, each within its range."""

    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        help_text=_("WGS 84 decimal degrees, -90 to 90."),
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        help_text=_("WGS 84 decimal degrees, -180 to 180."),
    )

    class Meta:
        abstract = True
        constraints = [
            FieldCheckConstraint(
                field="latitude",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="%(app_label)s_%(class)s_latitude_range",
                violation_error_message=_("Latitude must be between -90 and 90 degrees."),
            ),
            FieldCheckConstraint(
                field="longitude",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="%(app_label)s_%(class)s_longitude_range",
                violation_error_message=_("Longitude must be between -180 and 180 degrees."),
            ),
            FieldCheckConstraint(
                field="longitude",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="%(app_label)s_%(class)s_coordinates_pair",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None
