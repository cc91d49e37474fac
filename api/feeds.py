"""An Atom feed of new and updated public records: /feeds/changes.atom.

Built on the changes feed (directory.changes.changes_after, read from the history tables),
as the public sees it: records that are not published appear there as deleted, and the Atom
feed leaves deletions out. Titles and summaries come from the record as it is published now,
never from history, so a record taken out of the directory disappears from the feed with all
its details. Newest first; each entry's id is a tag: URI of the history row, so it never
changes, and links to the record in the API.
"""

from __future__ import annotations

import datetime
from collections import deque
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from directory import changes
from directory.cross_search import SEARCHABLE_KINDS

ENTRIES = 50
PAGE = 500
#: how far back to look for the latest entries, widening until the feed is full
WINDOWS_DAYS = (7, 31, 366, None)
START = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
ACTION_LABELS = {"created": "New", "updated": "Updated"}


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    summary: str
    link: str
    at: datetime.datetime
    kind: str


def latest_public_changes(now: datetime.datetime, count: int = ENTRIES) -> list[changes.Change]:
    """The last ``count`` public creates and updates, oldest first.

    changes_after only reads forward, so look back over a widening window and page through it.
    """
    kept: deque = deque(maxlen=count)
    for days in WINDOWS_DAYS:
        start = START if days is None else now - datetime.timedelta(days=days)
        position = changes.Position(at=start, kind=-1)
        kept.clear()
        while True:
            found = changes.changes_after(position, limit=PAGE, staff=False)
            kept.extend(change for change in found if change.action != "deleted")
            if len(found) < PAGE:
                break
            position = found[-1].position
        if len(kept) == count:
            break
    return list(kept)


def published_records(found: list[changes.Change]) -> dict[tuple[str, str], object]:
    """The currently published records behind ``found``, by (kind, slug): one query per kind."""
    records = {}
    for kind in SEARCHABLE_KINDS:
        slugs = {change.slug for change in found if change.kind == kind.name}
        if not slugs:
            continue
        queryset = kind.model.objects.filter(slug__in=slugs, is_published=True)
        if kind.name == "call":  # a call shows only with its programme (as in the API)
            queryset = queryset.filter(programme__is_published=True)
        for record in queryset:
            records[(kind.name, record.slug)] = record
    return records


class ChangesFeed(Feed):
    """New and updated records of the public directory (Atom 1.0)."""

    feed_type = Atom1Feed
    title = "Facility Directory: new and updated records"
    subtitle = "Facilities, programmes, calls, institutions and more, as they are added or changed."
    author_name = "Facility Directory"

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"  # feed readers on the web
        response["Cache-Control"] = "public, max-age=300"
        return response

    def get_object(self, request, *args, **kwargs):
        """Everything the entries need, built once per request (the Feed object is shared)."""
        host, _port = split_domain_port(request.get_host())
        api_root = request.build_absolute_uri("/api/v1/")
        found = latest_public_changes(timezone.now())
        records = published_records(found)
        entries = []
        for change in reversed(found):  # newest first
            record = records.get((change.kind, change.slug))
            if record is None:
                continue  # not public any more: nothing about it is shown
            name = f"{record.name} ({record.name_ja})" if record.name_ja else record.name
            entries.append(
                Entry(
                    guid=(
                        f"tag:{host or 'localhost'},2026:changes/{change.kind}/"
                        f"{change.position.history_id}"
                    ),
                    title=f"{ACTION_LABELS[change.action]} {change.kind}: {record.name}",
                    summary=f"{change.kind.capitalize()} {change.action}: {name}.",
                    link=f"{api_root}{change.resource}/{change.slug}/",
                    at=change.at,
                    kind=change.kind,
                )
            )
        return {
            "entries": entries,
            "api_root": api_root,
            "self": request.build_absolute_uri(request.path),
        }

    def link(self, obj):
        return f"{obj['api_root']}changes/"

    def feed_url(self, obj):
        return obj["self"]

    def feed_guid(self, obj):
        return obj["self"]

    def items(self, obj):
        return obj["entries"]

    def item_title(self, item: Entry) -> str:
        return item.title

    def item_description(self, item: Entry) -> str:
        return item.summary

    def item_link(self, item: Entry) -> str:
        return item.link

    def item_guid(self, item: Entry) -> str:
        return item.guid

    item_guid_is_permalink = False

    def item_pubdate(self, item: Entry) -> datetime.datetime:
        return item.at

    def item_updateddate(self, item: Entry) -> datetime.datetime:
        return item.at

    def item_categories(self, item: Entry):
        return [item.kind]
