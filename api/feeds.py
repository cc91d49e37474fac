"""An Atom feed of new and updated public records: /feeds/changes.atom.

Built on the public changes feed (directory.changes, the ``FeedEntry`` rows the write
services keep): the newest creates and updates of records that are public now. An entry
whose record later left the public directory is left out with everything it said. Titles
and summaries are the record's names as that change left them. Newest first; each entry's
id is a tag: URI of the feed entry, so it never changes, and links to the record in the API.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http.request import split_domain_port
from django.utils.feedgenerator import Atom1Feed

from directory import changes

ENTRIES = 50
ACTION_LABELS = {"created": "New", "updated": "Updated"}


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    summary: str
    link: str
    at: datetime.datetime
    kind: str


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
        entries = []
        for change in changes.latest_public(ENTRIES):
            data = change.data or {}
            name = data.get("name") or change.slug
            shown = f"{name} ({data['name_ja']})" if data.get("name_ja") else name
            entries.append(
                Entry(
                    guid=f"tag:{host or 'localhost'},2026:feed/{change.id}",
                    title=f"{ACTION_LABELS[change.action]} {change.kind}: {name}",
                    summary=f"{change.kind.capitalize()} {change.action}: {shown}.",
                    link=f"{api_root}{changes.RESOURCES[change.kind]}/{change.slug}/",
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
