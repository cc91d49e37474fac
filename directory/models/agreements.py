"""Cooperation agreements and memoranda between institutions and facilities."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.choices import AgreementKind
from directory.constraints import FieldCheckConstraint
from directory.models.base import NamedRecord, publish_permission


class Agreement(NamedRecord):
    """A cooperation agreement or MOU (e.g. the J-PARC–ESS arrangement, renewed five-yearly)."""

    API_RESOURCE = "agreements"

    kind = models.CharField(_("kind"), max_length=40, choices=AgreementKind.choices)
    institutions = models.ManyToManyField(
        "directory.Institution",
        related_name="agreements",
        blank=True,
        verbose_name=_("institution parties"),
    )
    facilities = models.ManyToManyField(
        "directory.Facility",
        related_name="agreements",
        blank=True,
        verbose_name=_("facility parties"),
    )
    signed_on = models.DateField(_("first signed on"), null=True, blank=True)
    renewed_on = models.DateField(_("last renewed on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    renewal_period_years = models.IntegerField(
        _("renewal period (years)"),
        null=True,
        blank=True,
        help_text=_("e.g. 5 for a five-yearly renewal."),
    )

    history = HistoricalRecords(m2m_fields=[institutions, facilities])

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("agreement")
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            FieldCheckConstraint(
                field="renewed_on",
                condition=Q(signed_on__isnull=True)
                | Q(renewed_on__isnull=True)
                | Q(renewed_on__gte=F("signed_on")),
                name="%(app_label)s_%(class)s_renewed_after_signing",
                violation_error_message=_(
                    "An agreement cannot be renewed before it is first signed."
                ),
            ),
            FieldCheckConstraint(
                field="expires_on",
                condition=Q(signed_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gte=F("signed_on")),
                name="%(app_label)s_%(class)s_expires_after_signing",
                violation_error_message=_("An agreement cannot expire before it is signed."),
            ),
            FieldCheckConstraint(
                field="renewal_period_years",
                condition=Q(renewal_period_years__isnull=True) | Q(renewal_period_years__gte=1),
                name="%(app_label)s_%(class)s_renewal_period_positive",
                violation_error_message=_("A renewal period is at least one year."),
            ),
        ]
