"""Lifecycle: what came before and after a record (JT-60 → JT-60SA, NIRS → QST).

A succession is a link from a predecessor to its successor, of one kind of record, owned by
the predecessor: it is written with the predecessor (``successors``), through the write
services, like a facility's role links, and shown on both records (``successors`` and
``predecessors``). Each carries its type, an optional date with its precision, a note in
both languages and its own citations.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from directory.choices import DatePrecision, InstitutionSuccessionType, SuccessionType
from directory.constraints import FieldCheckConstraint
from directory.models.base import GuardedQuerySet, GuardedWrites
from directory.validators import validate_sources

#: The relation a record's successions are written through, and its reverse.
SUCCESSORS, PREDECESSORS = "successors", "predecessors"


class SuccessionManager(models.Manager.from_queryset(GuardedQuerySet)):
    """Looks a succession up by (predecessor slug, successor slug)."""

    def get_by_natural_key(self, predecessor_slug, successor_slug):
        return self.get(predecessor__slug=predecessor_slug, successor__slug=successor_slug)


class Succession(GuardedWrites):
    """A predecessor and its successor, with how, when and on what evidence."""

    #: How the write services read a link of this kind besides its two ends (the relation
    #: names those): its key and its data (see services.records).
    LINK_KEY: tuple[str, ...] = ()
    LINK_DATA = ("type", "date", "date_precision", "note", "note_ja", "sources")
    #: What the successor's own representation shows of the link (its predecessors).
    LINK_SHOWN = LINK_DATA

    date = models.DateField(
        _("date"),
        null=True,
        blank=True,
        help_text=_("When the successor took over; a year-precise date is stored as 1 January."),
    )
    date_precision = models.CharField(
        _("date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.YEAR,
    )
    note = models.CharField(_("note (English)"), max_length=255, blank=True)
    note_ja = models.CharField(_("note (Japanese)"), max_length=255, blank=True)
    sources = models.JSONField(
        _("sources"),
        default=list,
        blank=True,
        validators=[validate_sources],
        help_text=_("Citations of this succession, in the records' format."),
    )

    objects = SuccessionManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"  # guarded too (see NamedRecord.Meta)
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="%(app_label)s_%(class)s_unique_pair",
                violation_error_message=_("This succession is already recorded."),
            ),
            FieldCheckConstraint(
                field="successor",
                condition=~Q(predecessor=F("successor")),
                name="%(app_label)s_%(class)s_not_self",
                violation_error_message=_("A record cannot succeed itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} — {self.get_type_display()} — {self.successor}"

    def natural_key(self):
        return (*self.predecessor.natural_key(), *self.successor.natural_key())

    def clean_fields(self, exclude=None):
        from directory.models.programmes import _round_date

        super().clean_fields(exclude=exclude)
        self.date = _round_date(self.date, self.date_precision, end=False)

    def clean(self):
        from directory.models.base import unknown_cited_sources

        super().clean()
        unknown = unknown_cited_sources(self.sources)
        if unknown:
            raise ValidationError({"sources": unknown})


def _predecessor(model: str) -> models.ForeignKey:
    """The predecessor owns the link: deleting it deletes the link (its deletion entry keeps
    the link, so restoring it brings the link back)."""
    return models.ForeignKey(
        f"directory.{model}",
        verbose_name=_("predecessor"),
        on_delete=models.CASCADE,
        related_name="successor_links",
    )


def _successor(model: str) -> models.ForeignKey:
    """A successor that a predecessor names cannot be deleted until the link is removed, as
    an institution holding role links cannot."""
    return models.ForeignKey(
        f"directory.{model}",
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        related_name="predecessor_links",
    )


class FacilitySuccession(Succession):
    """A facility and the one that followed it (JT-60 → JT-60SA)."""

    predecessor = _predecessor("Facility")
    successor = _successor("Facility")
    type = models.CharField(_("type"), max_length=20, choices=SuccessionType.choices)

    class Meta(Succession.Meta):
        verbose_name = _("facility succession")
        verbose_name_plural = _("facility successions")
        ordering = ["predecessor_id", "successor_id"]

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["directory.facility"]


class ProgrammeSuccession(Succession):
    """A programme and the one that followed it (Nanotechnology Platform → ARIM)."""

    predecessor = _predecessor("Programme")
    successor = _successor("Programme")
    type = models.CharField(_("type"), max_length=20, choices=SuccessionType.choices)

    class Meta(Succession.Meta):
        verbose_name = _("programme succession")
        verbose_name_plural = _("programme successions")
        ordering = ["predecessor_id", "successor_id"]

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["directory.programme"]


class InstitutionSuccession(Succession):
    """An institution and the one it became, or became part of (NIRS → QST)."""

    predecessor = _predecessor("Institution")
    successor = _successor("Institution")
    type = models.CharField(_("type"), max_length=20, choices=InstitutionSuccessionType.choices)

    class Meta(Succession.Meta):
        verbose_name = _("institution succession")
        verbose_name_plural = _("institution successions")
        ordering = ["predecessor_id", "successor_id"]

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["directory.institution"]
