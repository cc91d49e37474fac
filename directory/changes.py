"""Reading the public changes feed (``FeedEntry`` rows, written by the write services).

A partner syncs incrementally: it keeps the cursor of the last change it saw and asks for
what came after. Entries are in the order they were written (their id), so a cursor is
simply a position in that order; a moment (``since=2026-01-01``) starts after the last entry
written at or before it. Every entry is public by construction (see
directory.services.feed): a record that was never public never appears, a call appears
only while the calls API shows it.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass

from django.db.models import Max

from directory.cross_search import SEARCHABLE_KINDS
from directory.models import FeedEntry

RESOURCES = {kind.name: kind.resource for kind in SEARCHABLE_KINDS}


class BadCursor(ValueError):
    """The ``since`` value is neither an ISO 8601 moment nor a cursor this feed issued."""


@dataclass(frozen=True)
class Position:
    """A point in the feed: the entries written after entry ``after`` come next."""

    after: int = 0

    def encode(self) -> str:
        raw = json.dumps({"after": self.after})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Position:
        """An ISO 8601 date or date-time, or a cursor from a previous page."""
        value = value.strip()
        moment = _parse_moment(value)
        if moment is not None:
            return cls.at_moment(moment)
        try:
            padded = value + "=" * (-len(value) % 4)
            decoded = json.loads(base64.urlsafe_b64decode(padded))
        except (ValueError, TypeError, UnicodeDecodeError):
            raise BadCursor(value) from None
        if isinstance(decoded, dict) and isinstance(decoded.get("after"), int):
            return cls(after=max(decoded["after"], 0))
        # A cursor of the feed before it had its own entries: [moment, kind, history id].
        if isinstance(decoded, list) and len(decoded) == 3 and isinstance(decoded[0], str):
            moment = _parse_moment(decoded[0])
            if moment is not None:
                return cls.at_moment(moment)
        raise BadCursor(value)

    @classmethod
    def at_moment(cls, moment: datetime.datetime) -> Position:
        """After the last entry written at or before ``moment``."""
        last = FeedEntry.objects.filter(at__lte=moment).aggregate(last=Max("id"))["last"]
        return cls(after=last or 0)


def _parse_moment(value: str) -> datetime.datetime | None:
    try:
        if len(value) == 10:
            day = datetime.date.fromisoformat(value)
            return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Page:
    entries: list[FeedEntry]
    position: Position
    has_more: bool


def changes_after(position: Position, *, limit: int, kinds: list[str] | None = None) -> Page:
    """Up to ``limit`` entries after ``position`` (of ``kinds`` only, if given), oldest
    first, in one query."""
    after = FeedEntry.objects.filter(id__gt=position.after)
    if kinds:
        after = after.filter(kind__in=kinds)
    rows = list(after.select_related("event__user").order_by("id")[: limit + 1])
    entries = rows[:limit]
    end = Position(after=entries[-1].id) if entries else position
    return Page(entries=entries, position=end, has_more=len(rows) > limit)


def latest_public(count: int, *, scan: int = 500) -> list[FeedEntry]:
    """The newest ``count`` created/updated entries of records that are public now, newest
    first: an entry whose record later left the public directory (or changed its slug) is
    left out, with everything it said."""
    kept: list[FeedEntry] = []
    before = None
    while len(kept) < count:
        candidates = FeedEntry.objects.exclude(action=FeedEntry.Action.DELETED).order_by("-id")
        if before is not None:
            candidates = candidates.filter(id__lt=before)
        batch = list(candidates[:scan])
        if not batch:
            break
        oldest = batch[-1].id
        gone = {}
        for kind, record_id, entry_id in FeedEntry.objects.filter(
            action=FeedEntry.Action.DELETED,
            id__gt=oldest,
            record_id__in={entry.record_id for entry in batch},
        ).values_list("kind", "record_id", "id"):
            gone[(kind, record_id)] = max(entry_id, gone.get((kind, record_id), 0))
        for entry in batch:
            if gone.get((entry.kind, entry.record_id), 0) < entry.id:
                kept.append(entry)
                if len(kept) == count:
                    break
        before = oldest
    return kept
