"""limit/offset pagination with validated parameters (bad values give 400, never a silent fix).

One rule for ``limit``, stated in :func:`directory.validators.parse_count`: a whole number from
1 to :data:`MAX_LIMIT` (200); anything else, larger values included, is a 400 naming the
range. ``offset`` is 0 or more; past the end the page is empty and ``previous`` points at the
last page. Every JSON (and CSV, GeoJSON) page carries an RFC 8288 ``Link`` header (``first``,
``prev``, ``next``, ``last`` as they apply) and ``X-Total-Count`` (the number of matching
records), so a paged CSV says that more exist.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from directory import validators

MAX_LIMIT = 200
DEFAULT_LIMIT = 20
#: headers every page carries (documented in the OpenAPI schema: api/schema.py)
LINK_HEADER, TOTAL_COUNT_HEADER = "Link", "X-Total-Count"


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


class DirectoryPagination(LimitOffsetPagination):
    """``limit`` (1–200, default 20; anything else is a 400 naming the range) and ``offset``
    (≥ 0; past the end, ``previous`` is the last page)."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

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
        return {LINK_HEADER: link_header(self.links()), TOTAL_COUNT_HEADER: str(self.count)}

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        for name, value in self.page_headers().items():
            response[name] = value
        return response

    # --- documentation ----------------------------------------------------------------------

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
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
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        return super().paginate_queryset(queryset, request, view)

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
