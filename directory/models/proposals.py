"""Proposals of identifiers found in outside registries, for a curator to accept or reject.

``manage.py import_ror`` files one proposal per match between a directory institution and a
record of a ROR data dump; it writes nothing to the institution. An editor accepts or
rejects each in the admin; accepting writes through the write services
(directory.services.identifiers), so the history and the changes feed show it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.choices import ProposalStatus, RorMatch
from directory.constraints import FieldCheckConstraint
from directory.identifiers import IdentifierField


class RorProposal(models.Model):
    """One ROR record proposed as the identity of one institution."""

    institution = models.ForeignKey(
        "directory.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="ror_proposals",
    )
    ror_id = IdentifierField(_("ROR id"), scheme="ror", null=False, blank=False, unique=False)
    ror_name = models.CharField(_("name in ROR"), max_length=255)
    record = models.JSONField(
        _("ROR record"), help_text=_("The record as the dump gives it (ROR schema v2).")
    )
    match = models.CharField(_("matched by"), max_length=20, choices=RorMatch.choices)
    matched_value = models.CharField(_("matched value"), max_length=255, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"), help_text=_("How strong the match is, 0 to 100.")
    )
    ambiguous = models.BooleanField(
        _("ambiguous"),
        default=False,
        help_text=_(
            "Another ROR record matches this institution, or this ROR record matches another "
            "institution: check before accepting."
        ),
    )
    dump = models.CharField(
        _("dump"), max_length=255, help_text=_("The ROR data dump file the match was found in.")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PENDING,
        db_index=True,
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("ROR proposal")
        verbose_name_plural = _("ROR proposals")
        ordering = ["status", "-score", "institution__name"]
        permissions = [("decide_rorproposal", "Can accept or reject ROR proposals")]
        constraints = [
            # Re-running the import finds the same pair again: it refreshes, never duplicates.
            models.UniqueConstraint(
                fields=["institution", "ror_id"],
                name="%(app_label)s_%(class)s_one_per_pair",
                violation_error_message=_("This ROR record is already proposed for it."),
            ),
            FieldCheckConstraint(
                field="decided_at",
                condition=Q(status=ProposalStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=ProposalStatus.PENDING) & Q(decided_at__isnull=False)),
                name="%(app_label)s_%(class)s_decided_when_decided",
                violation_error_message=_(
                    "A decided proposal has a decision date; a pending one not."
                ),
            ),
            FieldCheckConstraint(
                field="score",
                condition=Q(score__lte=100),
                name="%(app_label)s_%(class)s_score_range",
                violation_error_message=_("The score is at most 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} → https://ror.org/{self.ror_id}"

    @property
    def ror_url(self) -> str:
        return f"https://ror.org/{self.ror_id}"
