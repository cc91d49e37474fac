"""limit/offset pagination with validated parameters (bad values give 400, never a silent fix).

One rule for ``limit``, stated in :func:`directory.validators.parse_count`: a whole number from
1 to :data:`MAX_LIMIT` (200); anything else, larger values included, is a 400 naming the
range. ``offset`` is 0 or more; past the end the page is empty and ``previous`` points at the
last page. Every JSON (and CSV, GeoJSON) page carries an RFC 8288 ``Link`` header (``first``,
``prev``, ``next``, ``last`` as they apply) and ``X-Total-Count`` (the number of matching
records), so a paged CSV says that more exist.

Sync clients page with a cursor instead (``?sync=true`` starts, each page's ``cursor`` and
``next`` go on): the records in the order of :data:`directory.selectors.SYNC_ORDER` (last
change first to last, ties by id), a signed position after each page, no offsets, no count
(:class:`SyncPager`).
"""

from __future__ import annotations

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Window
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from directory import selectors, validators
from directory.filtersets import parse_boolean

MAX_LIMIT = 200
DEFAULT_LIMIT = 20
#: headers every page carries (documented in the OpenAPI schema: api/schema.py)
LINK_HEADER, TOTAL_COUNT_HEADER = "Link", "X-Total-Count"
#: the parameters of a sync page, and those it refuses (its order is fixed; it has no offsets)
CURSOR, SYNC = "cursor", "sync"
NOT_WITH_CURSOR = ("offset", "ordering", "all")
#: the annotation carrying a page's count when its query counts it (_page_and_count)
PAGE_TOTAL = "page_query_total"


def _non_negative_int(request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        message = _("'%(value)s' is not an integer.") % {"value": raw}
        raise ValidationError({name: [message]}) from None
    return value


def link_header(links: dict[str, str | None]) -> str:
    """An RFC 8288 ``Link`` header value from ``{relation: url}`` (None: left out)."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


class SyncPager:
    """One sync page: the records after a signed position, in the sync order.

    Why not DRF's CursorPagination: its position is the first ordering field alone, ties
    being skipped by an offset that it caps at 1,000 without saying so — more than 1,000
    records changed at the same moment (an import keeps the timestamps it is given) would
    repeat pages for ever; its last page has no cursor, while a sync client needs one to come
    back for later changes; a bad cursor is a 404 "Invalid cursor" rather than a 400 naming
    the parameter, and the decoded position reaches the query unchecked. Here the position is
    the unique pair (updated_at, pk) of the last record listed (a keyset: one query per page,
    from the index, wherever the position is), signed with the list's model in the salt, so a
    cursor cannot be forged or carried to another list.
    """

    def __init__(self, label: str):
        self.salt = f"api.sync.{label}"

    def encode(self, position: tuple | None) -> str:
        payload = None if position is None else [position[0].isoformat(), position[1]]
        return signing.dumps(payload, salt=self.salt, compress=False)

    def decode(self, token: str) -> tuple | None:
        """The position a cursor holds (None: the start); ValueError if it is none of ours."""
        try:
            payload = signing.loads(token, salt=self.salt)
        except signing.BadSignature:
            raise ValueError(token) from None
        if payload is None:
            return None
        if not (isinstance(payload, list) and len(payload) == 2):
            raise ValueError(token)
        moment, pk = payload
        moment = parse_datetime(moment) if isinstance(moment, str) else None
        if moment is None or moment.tzinfo is None or type(pk) is not int or pk < 0:
            raise ValueError(token)
        return moment, pk

    def paginate(self, queryset, after, limit: int) -> tuple[list, tuple | None, bool]:
        """(the page, the position after it, whether more records follow)."""
        rows = list(selectors.in_sync_order(queryset, after)[: limit + 1])
        page = rows[:limit]
        if page:
            after = (page[-1].updated_at, page[-1].pk)
        return page, after, len(rows) > limit


class DirectoryPagination(LimitOffsetPagination):
    """``limit`` (1–200, default 20; anything else is a 400 naming the range) and ``offset``
    (≥ 0; past the end, ``previous`` is the last page); with ``cursor`` or ``sync=true``, a
    sync page (:class:`SyncPager`, checked by :meth:`check_sync`) of ``limit`` records."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT
    syncing = False

    def check_sync(self, request, view) -> dict:
        """Errors of a sync request's parameters ({} if it is none or a valid one); sets
        ``syncing`` and the position to start after."""
        errors = {}
        raw_sync, token = request.query_params.get(SYNC), request.query_params.get(CURSOR)
        syncing = False
        if raw_sync is not None:
            try:
                syncing = parse_boolean(raw_sync)
            except DjangoValidationError as error:
                errors[SYNC] = error.messages
        if token is None and not syncing:
            return errors
        self.pager = SyncPager(view.queryset.model._meta.label_lower)
        self.after = None
        if token is not None:
            try:
                self.after = self.pager.decode(token)
            except ValueError:
                errors[CURSOR] = [
                    _(
                        "Not a cursor of this list (changed, expired or from another list): "
                        "use the cursor or next link of a page, or start again with sync=true."
                    )
                ]
        for name in NOT_WITH_CURSOR:
            if name in request.query_params:
                errors[name] = [
                    _(
                        "A sync page (cursor or sync=true) is in the order of the last change "
                        "and has no offsets: leave out %(refused)s."
                    )
                    % {"refused": ", ".join(NOT_WITH_CURSOR)}
                ]
        self.syncing = not errors
        return errors

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        try:
            return validators.parse_count(raw, name=self.limit_query_param, maximum=MAX_LIMIT)
        except ValueError as error:
            raise ValidationError({self.limit_query_param: [str(error)]}) from None

    def get_offset(self, request):
        offset = _non_negative_int(request, self.offset_query_param, 0)
        if offset < 0:
            raise ValidationError({self.offset_query_param: [_("offset must be 0 or more.")]})
        return offset

    # --- links ------------------------------------------------------------------------------

    def _url(self, offset: int) -> str:
        url = replace_query_param(
            self.request.build_absolute_uri(), self.limit_query_param, self.limit
        )
        if offset <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, offset)

    def last_offset(self) -> int:
        """The offset of the last page (pages start at 0, ``limit`` apart)."""
        return max(0, (self.count - 1) // self.limit * self.limit)

    def get_previous_link(self):
        if self.offset <= 0:
            return None
        if self.offset >= self.count:
            # Past the end: the way back is the last page, not the page before this offset.
            return self._url(self.last_offset()) if self.count else None
        return self._url(max(0, self.offset - self.limit))

    def links(self) -> dict[str, str | None]:
        """first, prev, next and last of this page, as they apply."""
        return {
            "first": self._url(0),
            "prev": self.get_previous_link(),
            "next": self.get_next_link(),
            "last": self._url(self.last_offset()),
        }

    def page_headers(self) -> dict[str, str]:
        if self.syncing:
            return {LINK_HEADER: link_header(self._sync_links())}
        return {LINK_HEADER: link_header(self.links()), TOTAL_COUNT_HEADER: str(self.count)}

    def get_paginated_response(self, data):
        if self.syncing:
            response = Response(
                {
                    "next": self._sync_links()["next"],
                    CURSOR: self.pager.encode(self.after),
                    "results": data,
                }
            )
        else:
            response = super().get_paginated_response(data)
        for name, value in self.page_headers().items():
            response[name] = value
        return response

    # --- documentation ----------------------------------------------------------------------

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        # A sync page (cursor or sync=true) has neither count nor previous, and has a cursor.
        paginated["required"] = ["results"]
        paginated["properties"]["count"]["description"] = (
            "How many records match (not on a sync page)."
        )
        paginated["properties"][CURSOR] = {
            "type": "string",
            "description": "On a sync page (cursor or sync=true): the position after its last "
            "record. Keep it and pass it as ?cursor= later for the records changed since, "
            "even when next is null.",
        }
        paginated["properties"]["facets"] = {
            "type": "object",
            "description": "Present with ?facets=: counts per value for the current filters.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "string"},
                        "label": {"type": "string"},
                        "count": {"type": "integer"},
                    },
                },
            },
        }
        return paginated

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); any other value "
                    f"is a 400 naming the range. Example: `50`."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
            elif parameter["name"] == self.offset_query_param:
                parameter["description"] = (
                    "Number of results to skip (0 or more); past the end the page is empty "
                    "and `previous` is the last page. Example: `40`."
                )
                parameter["schema"] = {"type": "integer", "minimum": 0}
        sync_order = "The records in the order of their last change, oldest first (ties by id)"
        parameters += [
            {
                "name": SYNC,
                "required": False,
                "in": "query",
                "description": (
                    f"`true` starts a sync: {sync_order}, `limit` at a time, with no count, "
                    "offset or ordering (each a 400 with it). Each page has `cursor` (the "
                    "position after it) and `next` (null once no more follow). A record written "
                    "since you passed it is listed again later; deletions and unpublishings are "
                    "in /api/v1/changes/. Combine with filters, e.g. `updated_since`. "
                    "Example: `true`."
                ),
                "schema": {"type": "boolean"},
            },
            {
                "name": CURSOR,
                "required": False,
                "in": "query",
                "description": (
                    "The `cursor` of a sync page (opaque and signed; any other value is a 400): "
                    "the records changed after it, as with sync=true. A cursor serves the list "
                    "it came from. Example: `WyIyMDI2LTEyLTAzVDEzOjUwOjE2KzAwOjAwIiwgNDJd:…` "
                    "(copy it from a page)."
                ),
                "schema": {"type": "string"},
            },
        ]
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        if not self.syncing:
            if getattr(view, "counts_with_page", lambda: False)():
                return self._page_and_count(queryset, request)
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.limit = self.get_limit(request)
        page, self.after, self.has_more = self.pager.paginate(queryset, self.after, self.limit)
        return page

    def _page_and_count(self, queryset, request) -> list:
        """The page and the count in one query (``COUNT(*) OVER ()``), as
        ``LimitOffsetPagination.paginate_queryset`` leaves them: for a list whose every
        match is tested and ordered row by row (the view's ``counts_with_page``), where a
        separate count reads every match a second time. A page past the end has no row to
        carry the count: then it is counted on its own."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        rows = list(
            queryset.annotate(**{PAGE_TOTAL: Window(Count("*"))})[
                self.offset : self.offset + self.limit
            ]
        )
        if rows:
            self.count = getattr(rows[0], PAGE_TOTAL)
        else:
            self.count = self.get_count(queryset) if self.offset else 0
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return rows

    def _sync_links(self) -> dict[str, str | None]:
        """first (the start of the sync) and next (while more records follow)."""
        url = self.request.build_absolute_uri()
        first = replace_query_param(remove_query_param(url, CURSOR), SYNC, "true")
        following = None
        if self.has_more:
            following = replace_query_param(url, CURSOR, self.pager.encode(self.after))
        return {"first": first, "next": following}

    def get_count(self, queryset):
        """The count of the list; an unfiltered list's is kept until the next write.

        ``COUNT(*)`` over a whole table grows with it (5 ms at 100,000 facilities on
        PostgreSQL): the view names a key (``kept_count_key``) only when the list is the whole
        public table and the key holds the directory's generation, so any write renews it.
        """
        key = getattr(self.view, "kept_count_key", lambda: None)()
        if key is None:
            return super().get_count(queryset)
        count = cache.get(key)
        if count is None:
            count = super().get_count(queryset)
            cache.set(key, count, 3600)
        return count
