"""Call deadlines: a local date and time in the funder's time zone ↔ the instant stored.

Funders state a deadline as a wall-clock time in their own zone ("31 January 2027, 12:00
JST"); the directory stores the instant (``Call.closes_at``, UTC) and the zone's IANA name
(``Call.deadline_timezone``). The rule that turns one into the other is stated here once, for
the admin form, the write API and the importers alike:

* A local time is read in the zone's rules for that date (so Europe/London is GMT in January
  and BST in July).
* A local time that does not exist, because the clocks jump forward over it (Europe/London,
  2027-03-28 01:30), is refused with :class:`NonExistentLocalTime`: we cannot guess what the
  funder meant.
* A local time that happens twice, because the clocks go back over it (Europe/London,
  2027-10-31 01:30, first in BST then in GMT), is read as the **earlier** of the two instants
  (00:30 UTC, not 01:30 UTC): the stricter deadline, so nobody who trusts the directory
  submits too late. This is ``fold=0`` in the terms of PEP 495.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils.translation import gettext as _

__all__ = [
    "DeadlineError",
    "NonExistentLocalTime",
    "UnknownTimeZone",
    "deadline_instant",
    "deadline_local",
    "deadline_zone",
    "localise_deadline",
]


class DeadlineError(ValueError):
    """A deadline that cannot be read as an instant."""


class UnknownTimeZone(DeadlineError):
    """The deadline time zone is not an IANA time zone name known here."""


class NonExistentLocalTime(DeadlineError):
    """The local time falls in a gap the clocks skip (the spring-forward change)."""


def deadline_zone(zone_name: str) -> zoneinfo.ZoneInfo:
    """The time zone called ``zone_name`` (e.g. "Asia/Tokyo"); UnknownTimeZone if there is none."""
    try:
        return zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise UnknownTimeZone(
            _("%(value)s is not a time zone name (expected e.g. Asia/Tokyo).")
            % {"value": repr(zone_name)}
        ) from None


def deadline_instant(local: datetime.datetime, zone_name: str) -> datetime.datetime:
    """The instant (aware, in UTC) of the naive local date and time ``local`` in ``zone_name``.

    Raises NonExistentLocalTime for a time the clocks skip; takes the earlier instant for a
    time that happens twice (see the module's docstring).
    """
    if local.tzinfo is not None and local.utcoffset() is not None:
        raise ValueError(f"expected a naive local date and time, got {local.isoformat()}")
    zone = deadline_zone(zone_name)
    earlier = local.replace(tzinfo=zone, fold=0)
    instant = earlier.astimezone(datetime.UTC)
    # A skipped time does not come back unchanged from the round trip through UTC.
    if instant.astimezone(zone).replace(tzinfo=None, fold=0) != local.replace(fold=0):
        raise NonExistentLocalTime(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip it when they go forward. "
                "Enter the deadline as the funder states it, e.g. an hour later."
            )
            % {"time": f"{local:%Y-%m-%d %H:%M}", "zone": zone_name}
        )
    return instant


def deadline_local(instant: datetime.datetime, zone_name: str) -> datetime.datetime:
    """The naive local date and time in ``zone_name`` of the aware ``instant``."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an aware instant, got the naive {instant.isoformat()}")
    return instant.astimezone(deadline_zone(zone_name)).replace(tzinfo=None, fold=0)


def localise_deadline(value: datetime.datetime, zone_name: str) -> datetime.datetime:
    """A deadline as API or import input gives it: naive → read in ``zone_name``; aware → as is.

    An aware value already names its instant (e.g. "2027-01-31T12:00:00+09:00" or "…Z"), so
    it is returned unchanged; a naive one ("2027-01-31T12:00") is the funder's local time.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    return deadline_instant(value, zone_name)
