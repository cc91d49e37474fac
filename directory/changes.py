"""The changes feed: every create, update and delete of a directory record, in order.

Read from the history tables, so it covers the admin, the API, imports and commands alike.
A partner syncs incrementally: it keeps the cursor of the last change it saw and asks for
what came after. For the public, a record that is not published appears as deleted (it has
left the public directory); staff see the real action and who made it.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass

from django.db.models import Q, Value

from directory.cross_search import SEARCHABLE_KINDS

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}


class BadCursor(ValueError):
    """The ``since`` value is neither an ISO 8601 moment nor a cursor this feed issued."""


@dataclass(frozen=True)
class Position:
    """A point in the feed: changes strictly after it come next."""

    at: datetime.datetime
    kind: int = -1
    history_id: int = -1

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.kind, self.history_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Position:
        """An ISO 8601 date or date-time, or a cursor from a previous page."""
        value = value.strip()
        moment = _parse_moment(value)
        if moment is not None:
            return cls(at=moment, kind=len(SEARCHABLE_KINDS), history_id=2**62)
        try:
            padded = value + "=" * (-len(value) % 4)
            at, kind, history_id = json.loads(base64.urlsafe_b64decode(padded))
            moment = datetime.datetime.fromisoformat(at)
            if (
                moment.tzinfo is None
                or not isinstance(kind, int)
                or not isinstance(history_id, int)
            ):
                raise ValueError
        except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
            raise BadCursor(value) from None
        return cls(at=moment, kind=kind, history_id=history_id)


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
class Change:
    kind: str
    resource: str
    slug: str
    action: str
    at: datetime.datetime
    is_published: bool
    user: str | None
    position: Position


def changes_after(position: Position, *, limit: int, staff: bool) -> list[Change]:
    """Up to ``limit`` changes after ``position``, oldest first, in one query."""
    parts = []
    for index, kind in enumerate(SEARCHABLE_KINDS):
        history = kind.model.history.model.objects.all()
        if index > position.kind:
            after = Q(history_date__gte=position.at)
        elif index == position.kind:
            after = Q(history_date__gt=position.at) | Q(
                history_date=position.at, history_id__gt=position.history_id
            )
        else:
            after = Q(history_date__gt=position.at)
        parts.append(
            history.filter(after)
            .order_by()
            .annotate(kind_position=Value(index))
            .values_list(
                "history_date",
                "history_id",
                "slug",
                "history_type",
                "is_published",
                "history_user__username",
                "kind_position",
            )
        )
    union = parts[0].union(*parts[1:], all=True)
    rows = union.order_by("history_date", "kind_position", "history_id")[:limit]
    changes = []
    for at, history_id, slug, history_type, is_published, username, index in rows:
        kind = SEARCHABLE_KINDS[index]
        action = ACTIONS[history_type]
        if not staff and not is_published:
            action = "deleted"  # it left (or never entered) the public directory
        changes.append(
            Change(
                kind=kind.name,
                resource=kind.resource,
                slug=slug,
                action=action,
                at=at,
                is_published=bool(is_published) and history_type != "-",
                user=username if staff else None,
                position=Position(at=at, kind=index, history_id=history_id),
            )
        )
    return changes
