"""Admin forms that need more than the model's fields give.

``CallForm``: the curator types a call's deadline as the funder states it, a local date and
time in the call's deadline time zone ("2027-01-31 12:00" with "Asia/Tokyo"), and the form
stores the instant (03:00 UTC); an existing deadline is shown back in that zone, not in UTC.
The rule (what a skipped or repeated local time means) is ``directory.deadlines``'s.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from directory import deadlines
from directory.models import Call
from directory.validators import validate_timezone_name

DEADLINE_HELP_TEXT = _(
    "Local date and time in the deadline time zone, e.g. 2027-01-31 12:00 Asia/Tokyo. "
    "A time the clocks pass twice (when they go back) is read as the earlier one."
)


class LocalDateTimeField(forms.SplitDateTimeField):
    """A date and a time entered separately, cleaned to a naive (wall-clock) datetime.

    Unlike ``SplitDateTimeField`` it does not read the value in the site's time zone: the
    form that uses it knows which zone the value is in.
    """

    def compress(self, data_list):
        if not data_list:
            return None
        date, time = data_list
        if date in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.datetime.combine(date, time)


class CallForm(forms.ModelForm):
    """A call, its deadline entered and shown in the call's own deadline time zone.

    The zone submitted with the form is the one the entered time is read in, so a curator can
    correct the time and the zone in one save.
    """

    closes_at = LocalDateTimeField(
        label=_("Deadline"), widget=AdminSplitDateTime, help_text=DEADLINE_HELP_TEXT
    )

    class Meta:
        model = Call
        # The admin passes its own field list (its fieldsets, or the inline's fields).
        fields = ("programme", "opens_on", "closes_at", "deadline_timezone", "url")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored instant (from the instance, or an aware initial value) is shown as the
        # wall-clock time in the deadline's zone; the site's zone (UTC) would mislead.
        value = self.initial.get("closes_at")
        if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
            self.initial["closes_at"] = self._shown_local(value)

    def _shown_local(self, instant: datetime.datetime) -> datetime.datetime:
        zone_name = self.initial.get("deadline_timezone") or self.instance.deadline_timezone
        try:
            return deadlines.deadline_local(instant, zone_name)
        except deadlines.UnknownTimeZone:
            # A stored zone this server does not know: show UTC; saving asks for a valid zone.
            return deadlines.deadline_local(instant, "UTC")

    def clean_deadline_timezone(self):
        zone_name = self.cleaned_data["deadline_timezone"]
        validate_timezone_name(zone_name)
        return zone_name

    def clean(self):
        cleaned_data = super().clean()
        local = cleaned_data.get("closes_at")
        if local is None:
            return cleaned_data  # missing or not a date and time: the field says so already
        if "deadline_timezone" not in self.fields:
            zone_name = self.instance.deadline_timezone
        else:
            # Without a valid zone (its own error) the time cannot be read in it. UTC stands
            # in so the rest of the record is still checked; the form is invalid and saves
            # nothing.
            zone_name = cleaned_data.get("deadline_timezone") or "UTC"
        try:
            cleaned_data["closes_at"] = deadlines.deadline_instant(local, zone_name)
        except deadlines.DeadlineError as error:
            self.add_error("closes_at", ValidationError(str(error), code="invalid_deadline"))
        return cleaned_data
