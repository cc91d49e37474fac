"""The project's URLs plus ``bench/floor/``: the framework floor of the load benchmark.

The floor view runs through the same gunicorn workers and the same middleware as the API but
touches neither the database nor the cache: it answers a constant JSON body of exactly
``FLOOR_BYTES`` bytes (bench/soak.sh sets it to the size of the facility list it measures),
so the ratio of an endpoint's requests/s to the floor's is the share of the framework's best
that the endpoint reaches. It takes the lean path, as an anonymous API read does;
``bench/full-floor/`` is the same view through the full stack (bench/floor_settings.py).
``bench/drf-floor/``
answers the same document through a bare Django REST framework view with the project's API
settings (authentication, throttling, content negotiation, the JSON renderer): the share of the
floor that any API answer can reach before it reads a row. ``bench/sql-page/`` is the best case
of an uncached filtered page: a bare Django view running one prepared query in which PostgreSQL
builds a simplified page (count, the 20 facilities' own columns, their institutions and
techniques) as JSON text; ``api/bench/sql-page/`` is the same view under ``/api/``, so it also
pays what every anonymous API answer pays (rate count, response-cache lookup and store, the
directory's change marker). ``api/bench/floor/`` and ``api/bench/drf-floor/`` are the two
floors under ``/api/``, answered as public so that the response cache stores them: measured as
misses, they are the least any uncached API answer can cost — the plumbing every anonymous miss
pays (rate count, response-cache lookup and store, change marker), without and with DRF's
request cycle, and no data work. ``?bytes=N`` sizes their body (a detail's, say).
``api/bench/drf-list/`` is the least a list page can do in plain DRF with the issue-13 design:
a DRF ``ListAPIView`` with DRF's own limit/offset pagination over the published facilities by
name, its count kept in the cache (as the API keeps an unfiltered list's), its records'
representations from the per-record cache (api.representations) — no filterset, no parameter
checks, no links beyond DRF's, no freshness headers. Only bench/floor_settings.py routes here;
PostgreSQL only.
"""

import functools
import os

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from api import representations
from api.serializers import FacilitySerializer
from bench.floor_body import floor_body
from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns
from directory import relations, selectors
from directory.countries import countries_by_code
from directory.models import Facility

# Built once per worker so the floor measures the framework, not building the body.
BODY = floor_body(int(os.environ.get("FLOOR_BYTES", "4096")))


MAX_BYTES = 1 << 20


@functools.lru_cache(maxsize=8)
def _sized(size: int) -> tuple[bytes, str]:
    """The body of ``size`` bytes and its padding as a str (what DRF's floor serializes),
    built once per size and worker, as BODY is: the floors measure the framework."""
    body = BODY if size == len(BODY) else floor_body(size)
    return body, body[len(b'{"pad":"') : -len(b'"}')].decode()


def _size(request) -> int | None:
    """The body's size: the floor's, or ``?bytes=`` (10 to MAX_BYTES); None if malformed."""
    raw = request.GET.get("bytes")
    if raw is None:
        return len(BODY)
    if not raw.isdigit() or not 10 <= int(raw) <= MAX_BYTES:
        return None
    return int(raw)


def _malformed() -> JsonResponse:
    return JsonResponse({"bytes": [f"An integer from 10 to {MAX_BYTES}."]}, status=400)


def floor(request):
    """The constant body: no database, no cache, no serializer."""
    size = _size(request)
    if size is None:
        return _malformed()
    return HttpResponse(_sized(size)[0], content_type="application/json")


def public_floor(request):
    """The floor, public: under /api/ the response cache stores it (a miss's plumbing alone)."""
    response = floor(request)
    response["Cache-Control"] = "public, max-age=60"
    return response


class DRFFloor(APIView):
    """The same document through DRF's request cycle: no database, no serializer."""

    public = False

    def get(self, request):
        size = _size(request)
        if size is None:
            return _malformed()
        headers = {"Cache-Control": "public, max-age=60"} if self.public else None
        return Response({"pad": _sized(size)[1]}, headers=headers)


# What a page costs when neither DRF nor Python serializes it: the filter, the count, the
# page and two related summaries per record, all turned into JSON by PostgreSQL. Simpler and
# smaller than the API's page (no links, labels or other relations), so a lower bound.
SQL_PAGE = """
SELECT json_build_object(
  'count', (SELECT count(*) FROM directory_facility
            WHERE is_published AND country_id = %(country)s AND kind = %(kind)s),
  'results', (SELECT coalesce(json_agg(row_to_json(page)), '[]') FROM (
    SELECT facility.*,
      (SELECT coalesce(json_agg(json_build_object(
                'slug', institution.slug, 'name', institution.name,
                'name_ja', institution.name_ja, 'role', role.role)), '[]')
         FROM directory_facilityrole role
         JOIN directory_institution institution ON institution.id = role.institution_id
        WHERE role.facility_id = facility.id AND institution.is_published) AS institutions,
      (SELECT coalesce(json_agg(json_build_object(
                'slug', technique.slug, 'name', technique.name)), '[]')
         FROM directory_facility_techniques link
         JOIN directory_technique technique ON technique.id = link.technique_id
        WHERE link.facility_id = facility.id) AS techniques
    FROM directory_facility facility
    WHERE facility.is_published AND facility.country_id = %(country)s
      AND facility.kind = %(kind)s
    ORDER BY facility.name LIMIT 20) page)
)::text
"""


class KeptCountPagination(LimitOffsetPagination):
    """DRF's limit/offset pagination, the whole table's count kept in the cache (the API's
    unfiltered lists keep theirs: api.pagination.DirectoryPagination.get_count)."""

    default_limit = 20

    def get_count(self, queryset):
        return cache.get_or_set("bench:drf-list:count", queryset.count, 3600)


class DRFList(ListAPIView):
    """The least list page plain DRF gives with per-record representation caching."""

    pagination_class = KeptCountPagination

    def get_queryset(self):
        return selectors.visible(Facility, self.request.user).order_by("name")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = {
            **self.get_serializer_context(),
            "language": "en",
            "api_root": request.build_absolute_uri("/api/v1/"),
            "countries": countries_by_code(),
            "now": timezone.now(),
            "drafts": False,
            "sparse_fields": None,
            "listing": True,
        }
        data = representations.represent(FacilitySerializer, page, context, relations.FACILITY_LIST)
        response = self.get_paginated_response(data)
        response["Cache-Control"] = "public, max-age=60"
        return response


def sql_page(request):
    """The page of ``?country=&kind=`` built by PostgreSQL in one query, sent as it comes."""
    country, kind = request.GET.get("country"), request.GET.get("kind")
    if not country or not kind:
        return JsonResponse({"detail": "country and kind are required"}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(SQL_PAGE, {"country": country, "kind": kind})
        body = cursor.fetchone()[0].encode()
    response = HttpResponse(body, content_type="application/json")
    # Public, so that under /api/ the response cache stores it as it stores the API's pages.
    response["Cache-Control"] = "public, max-age=60"
    return response


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    # The same view outside the lean path's prefixes (bench/floor_settings.py): the full stack.
    path("bench/full-floor/", floor, name="bench-full-floor"),
    path("bench/drf-floor/", DRFFloor.as_view(), name="bench-drf-floor"),
    path("bench/sql-page/", sql_page, name="bench-sql-page"),
    path("api/bench/sql-page/", sql_page, name="bench-api-sql-page"),
    path("api/bench/floor/", public_floor, name="bench-api-floor"),
    path("api/bench/drf-floor/", DRFFloor.as_view(public=True), name="bench-api-drf-floor"),
    path("api/bench/drf-list/", DRFList.as_view(), name="bench-api-drf-list"),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
