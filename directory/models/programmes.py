"""Funding programmes, their funders and implementing agencies, and their calls."""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Max, Min, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.choices import (
    CURRENCY_CHOICES,
    CallFrequency,
    CallStatus,
    DatePrecision,
    ProgrammeKind,
    ProgrammeRoleKind,
    ProgrammeStatus,
)
from directory.constraints import FieldCheckConstraint, amount_needs_currency, non_negative
from directory.models.base import (
    GuardedQuerySet,
    GuardedWrites,
    NamedRecord,
    SearchKeyQuerySet,
    SlugManager,
    publish_permission,
)
from directory.models.history import history_model_name
from directory.models.lifecycle import ProgrammeSuccession
from directory.validators import validate_timezone_name


def _round_date(value: datetime.date | None, precision: str, *, end: bool) -> datetime.date | None:
    """Store a year- or month-precise date as the first (start) or last (end) day it covers."""
    if value is None:
        return None
    if precision == DatePrecision.YEAR:
        return datetime.date(value.year, 12, 31) if end else datetime.date(value.year, 1, 1)
    if precision == DatePrecision.MONTH:
        last_day = calendar.monthrange(value.year, value.month)[1]
        return value.replace(day=last_day if end else 1)
    return value


class ProgrammeQuerySet(SearchKeyQuerySet):
    """Programme reads that the API and the widgets share."""

    def active_on(self, day: datetime.date):
        """Programmes running on ``day``; an unknown start or end is taken as open-ended."""
        return self.filter(Q(starts_on__isnull=True) | Q(starts_on__lte=day)).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=day)
        )

    def funded_by(self, institutions):
        """Programmes that any of ``institutions`` (a queryset) funds."""
        return self.filter(
            pk__in=ProgrammeRole.objects.filter(
                role=ProgrammeRoleKind.FUNDER, institution__in=institutions
            ).values("programme_id")
        )

    def involving_every_country(self, codes):
        """Programmes whose participating countries include all of ``codes``."""
        queryset = self
        for code in codes:
            queryset = queryset.filter(
                pk__in=Programme.countries.through.objects.filter(country_id=code).values(
                    "programme_id"
                )
            )
        return queryset

    def with_calls(self, calls):
        """Programmes having at least one of ``calls`` (a Call queryset)."""
        return self.filter(pk__in=calls.values("programme_id"))


class ProgrammeRoleManager(models.Manager.from_queryset(GuardedQuerySet)):
    """Looks a role link up by (programme slug, institution slug, role)."""

    def get_by_natural_key(self, programme_slug, institution_slug, role):
        return self.get(
            programme__slug=programme_slug, institution__slug=institution_slug, role=role
        )


class ProgrammeRole(GuardedWrites):
    """The part an institution plays in a programme (funder, implementing agency, partner)."""

    #: How the write services read a link of this kind besides its two ends (the relation
    #: names those): its key and its data (see services.records).
    LINK_KEY = ("role",)
    LINK_DATA = ("note", "needs_review")
    #: What the institution's own representation shows of the link.
    LINK_SHOWN = ("role", "note", "needs_review")

    programme = models.ForeignKey(
        "directory.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="roles",
    )
    institution = models.ForeignKey(
        "directory.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="programme_roles",
    )
    role = models.CharField(_("role"), max_length=30, choices=ProgrammeRoleKind.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # A link can rest on a fact nobody has checked (general knowledge, a doubtful seed
    # line) while both records it joins are sound: the flag sits on the link, and the API
    # shows it on the link at both ends.
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_("This link rests on an unchecked fact; the note says which."),
    )

    objects = ProgrammeRoleManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme role")
        verbose_name_plural = _("funders and implementing agencies")
        ordering = ["programme_id", "role", "institution_id"]
        base_manager_name = "objects"  # guarded too (see NamedRecord.Meta)
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "institution", "role"],
                name="%(app_label)s_%(class)s_unique_role",
                violation_error_message=_(
                    "This institution already has this role in this programme."
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
        return f"{self.institution} — {self.get_role_display()} — {self.programme}"

    def natural_key(self):
        return (*self.programme.natural_key(), *self.institution.natural_key(), self.role)

    natural_key.dependencies = ["directory.programme", "directory.institution"]


class Programme(NamedRecord):
    """A funding programme or access scheme that opens facilities or research to teams."""

    API_RESOURCE = "programmes"

    kind = models.CharField(_("kind"), max_length=40, choices=ProgrammeKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=ProgrammeStatus.choices)
    institutions = models.ManyToManyField(
        "directory.Institution",
        through=ProgrammeRole,
        related_name="programmes",
        verbose_name=_("funders and implementing agencies"),
        blank=True,
    )
    countries = models.ManyToManyField(
        "directory.Country",
        related_name="programmes",
        blank=True,
        verbose_name=_("participating countries"),
    )
    fields = models.ManyToManyField(
        "directory.ResearchField",
        related_name="programmes",
        blank=True,
        verbose_name=_("research fields"),
    )
    facilities = models.ManyToManyField(
        "directory.Facility",
        related_name="programmes",
        blank=True,
        verbose_name=_("facilities it gives access to"),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    starts_on_precision = models.CharField(
        _("start date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("A year-precise start is stored as 1 January of that year."),
    )
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    ends_on_precision = models.CharField(
        _("end date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("A year-precise end is stored as 31 December of that year."),
    )
    total_budget = models.DecimalField(
        _("total budget"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
    )
    total_budget_currency = models.CharField(
        _("total budget currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True
    )
    max_funding_per_project = models.DecimalField(
        _("maximum funding per project"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
    )
    max_funding_currency = models.CharField(
        _("maximum funding currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True
    )
    typical_duration_months = models.IntegerField(
        _("typical project duration (months)"),
        null=True,
        blank=True,
    )
    call_frequency = models.CharField(
        _("call frequency"), max_length=20, choices=CallFrequency.choices, blank=True
    )
    successors = models.ManyToManyField(
        "self",
        through=ProgrammeSuccession,
        through_fields=("predecessor", "successor"),
        symmetrical=False,
        related_name="predecessors",
        blank=True,
        verbose_name=_("successors"),
    )

    objects = SlugManager.from_queryset(ProgrammeQuerySet)()
    history = HistoricalRecords(
        m2m_fields=[institutions, countries, fields, facilities, successors],
        custom_model_name=history_model_name,
    )

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("programme")
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            FieldCheckConstraint(
                field="ends_on",
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("A programme cannot end before it starts."),
            ),
            non_negative("total_budget", _("The total budget")),
            non_negative("max_funding_per_project", _("The maximum funding per project")),
            FieldCheckConstraint(
                field="typical_duration_months",
                condition=Q(typical_duration_months__isnull=True)
                | Q(typical_duration_months__gte=1),
                name="%(app_label)s_%(class)s_duration_positive",
                violation_error_message=_("A typical project lasts at least one month."),
            ),
            amount_needs_currency("total_budget", "total_budget_currency", _("The total budget")),
            amount_needs_currency(
                "max_funding_per_project",
                "max_funding_currency",
                _("The maximum funding per project"),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "status"], name="programme_kind_status"),
            models.Index(fields=["starts_on", "ends_on"], name="programme_dates"),
            models.Index(fields=["name"], name="programme_name"),
        ]

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude=exclude)
        self._round_dates()

    def _round_dates(self) -> None:
        self.starts_on = _round_date(self.starts_on, self.starts_on_precision, end=False)
        self.ends_on = _round_date(self.ends_on, self.ends_on_precision, end=True)

    def prepare_for_save(self) -> None:
        super().prepare_for_save()
        self._round_dates()

    def is_active_on(self, day: datetime.date) -> bool:
        """Whether the programme runs on ``day`` (open-ended where a date is unknown)."""
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


class CallQuerySet(SearchKeyQuerySet):
    """Calls filtered by their derived status (upcoming / open / closed) at a moment."""

    def with_status(self, status: str, now: datetime.datetime | None = None):
        now = now or timezone.now()
        today = timezone.localdate(now)
        if status == CallStatus.CLOSED:
            return self.filter(closes_at__lte=now)
        if status == CallStatus.OPEN:
            return self.filter(closes_at__gt=now).filter(
                Q(opens_on__isnull=True) | Q(opens_on__lte=today)
            )
        if status == CallStatus.UPCOMING:
            return self.filter(closes_at__gt=now, opens_on__gt=today)
        raise ValueError(f"unknown call status {status!r}")

    def status_changes(
        self, now: datetime.datetime | None = None
    ) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """When a call's status last changed (at or before ``now``) and when one next will.

        A call changes status at its deadline and when its opening day starts. One query;
        answers that show statuses are fresh until the second moment.
        """
        now = now or timezone.now()
        today = timezone.localdate(now)
        moments = self.aggregate(
            last_closed=Max("closes_at", filter=Q(closes_at__lte=now)),
            last_opened=Max("opens_on", filter=Q(opens_on__lte=today)),
            next_closing=Min("closes_at", filter=Q(closes_at__gt=now)),
            next_opening=Min("opens_on", filter=Q(opens_on__gt=today)),
        )
        last = [moments["last_closed"]]
        if moments["last_opened"]:
            last.append(min(_start_of(moments["last_opened"]), now))
        upcoming = [moments["next_closing"]]
        if moments["next_opening"]:
            upcoming.append(_start_of(moments["next_opening"]))
        return (
            max((moment for moment in last if moment), default=None),
            min((moment for moment in upcoming if moment), default=None),
        )


def _start_of(day: datetime.date) -> datetime.datetime:
    """The first instant of a day in the directory's time zone (where statuses change)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class Call(NamedRecord):
    """A programme's call for proposals (``name`` is its title); its status is derived."""

    API_RESOURCE = "calls"

    programme = models.ForeignKey(
        "directory.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="calls",
    )
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_at = models.DateTimeField(
        _("deadline"), help_text=_("Deadline instant (stored in UTC).")
    )
    deadline_timezone = models.CharField(
        _("deadline time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_timezone_name],
        help_text=_("The time zone the funder states the deadline in, e.g. Asia/Tokyo."),
    )
    url = models.URLField(_("call page"), max_length=500, blank=True)

    objects = SlugManager.from_queryset(CallQuerySet)()
    history = HistoricalRecords()

    class Meta(NamedRecord.Meta):
        permissions = publish_permission("call")
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["closes_at", "name"]
        constraints = [
            FieldCheckConstraint(
                field="closes_at",
                condition=Q(opens_on__isnull=True)
                | Q(closes_at__gte=Cast("opens_on", models.DateTimeField())),
                name="%(app_label)s_%(class)s_closes_after_opening",
                violation_error_message=_("A call cannot close before it opens."),
            ),
        ]
        indexes = [
            models.Index(fields=["closes_at"], name="call_closes_at"),
            models.Index(fields=["opens_on"], name="call_opens_on"),
        ]

    def clean_fields(self, exclude=None):
        """A deadline given without an offset is the funder's local time (directory.deadlines):
        the write API and the importers read it as the admin's deadline form does."""
        from directory import deadlines

        if isinstance(self.closes_at, datetime.datetime) and timezone.is_naive(self.closes_at):
            try:
                self.closes_at = deadlines.localise_deadline(self.closes_at, self.deadline_timezone)
            except deadlines.UnknownTimeZone:
                # Read in UTC only so the other rules can be checked: the zone's own error
                # refuses the record.
                self.closes_at = timezone.make_aware(self.closes_at, datetime.UTC)
            except deadlines.DeadlineError as error:
                raise ValidationError({"closes_at": [str(error)]}) from None
        super().clean_fields(exclude=exclude)

    def status_at(self, now: datetime.datetime | None = None) -> str:
        """Upcoming before it opens, open until the deadline, closed from the deadline on."""
        now = now or timezone.now()
        if self.closes_at <= now:
            return CallStatus.CLOSED
        if self.opens_on and self.opens_on > timezone.localdate(now):
            return CallStatus.UPCOMING
        return CallStatus.OPEN

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def closes_at_local(self) -> datetime.datetime:
        """The deadline in the funder's own time zone (aware, e.g. 2027-01-31 12:00+09:00).

        The same zone rules as the admin's deadline form (see ``directory.deadlines``).
        """
        from directory.deadlines import deadline_zone

        return self.closes_at.astimezone(deadline_zone(self.deadline_timezone))
