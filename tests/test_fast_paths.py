"""The fast paths of a list answer give exactly what DRF's generic paths give.

A page is serialized by a serializer each thread keeps and lends the request's context
(api.serializers.represent), each field read through a plan chosen once
(RecordSerializer.to_representation), and encoded by orjson (DirectoryJSONRenderer). Each
test here answers the same requests with DRF's own machinery patched back in and compares.
"""

import datetime
import decimal
import json
import threading

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import lazy
from rest_framework import serializers as drf_serializers
from rest_framework.renderers import JSONRenderer

from api import serializers
from api.renderers import DirectoryJSONRenderer
from api.urls import router
from directory.models import Facility
from tests.factories import CallFactory, FacilityFactory, FacilityRoleFactory, InstitutionFactory

# Every list the API routes, so a resource added later is compared too.
LISTS = [f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry]


def plain_representation(serializer_class, data, context, *, many=False):
    """DRF's own way: a new serializer per request."""
    return serializer_class(data, many=many, context=context).data


def answers(api, urls):
    """Each answer computed now: the response cache would otherwise replay the first pass."""
    cache.clear()
    found = {}
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        assert response.get("X-Cache", "miss") == "miss", url
        found[url] = response.content
    return found


@pytest.fixture
def drf_machinery(monkeypatch):
    """Puts DRF's generic serializer, field reading and JSON encoder back in place."""

    def patch():
        monkeypatch.setattr(serializers, "represent", plain_representation)
        monkeypatch.setattr(
            serializers.RecordSerializer,
            "to_representation",
            drf_serializers.ModelSerializer.to_representation,
        )
        monkeypatch.setattr(DirectoryJSONRenderer, "render", JSONRenderer.render)

    return patch


@pytest.mark.parametrize("query", ["?limit=200", "?limit=200&lang=ja", "?fields=slug,name,url"])
def test_every_list_answers_byte_for_byte_as_drf_would(api, seed_data, drf_machinery, query):
    CallFactory()
    CallFactory(opens_on=None, closes_at=timezone.now() - datetime.timedelta(days=3))
    urls = [url + query for url in LISTS]
    fast = answers(api, urls)
    drf_machinery()
    plain = answers(api, urls)
    for url in urls:
        assert json.loads(fast[url])["results"], url
        assert fast[url] == plain[url], url


def test_details_and_csv_answer_as_drf_would(api, seed_data, drf_machinery):
    urls = [
        "/api/v1/facilities/spring-8/",
        "/api/v1/facilities/spring-8/?lang=ja",
        "/api/v1/programmes/?format=csv",
        "/api/v1/facilities/?format=geojson",
    ]
    fast = answers(api, urls)
    drf_machinery()
    assert fast == answers(api, urls)


def test_a_kept_serializer_serves_each_request_in_its_own_language_and_fields(api, seed_data):
    def spring8(query):
        cache.clear()  # computed each time, never replayed
        results = api.get(f"/api/v1/facilities/?limit=200{query}").json()["results"]
        return next(row for row in results if row["slug"] == "spring-8")

    japanese = spring8("&lang=ja")
    english = spring8("")
    narrow = spring8("&fields=slug")
    again = spring8("&lang=ja")
    assert japanese["display_name"] == japanese["name_ja"] != english["display_name"]
    assert english["display_name"] == english["name"]
    assert narrow == {"slug": "spring-8"}
    assert again == japanese


def test_a_kept_serializer_does_not_keep_the_request(api, seed_data):
    api.get("/api/v1/facilities/")
    kept = serializers._kept_serializers.serializers
    assert kept
    assert all(serializer._context == {} for serializer in kept.values())


def test_a_thread_keeps_a_bounded_number_of_serializers(api, seed_data):
    names = serializers.field_names(serializers.FacilitySerializer)[:12]
    for first in names:
        for second in names:
            if first != second:
                response = api.get(f"/api/v1/facilities/?fields={first},{second}")
                assert response.status_code == 200
    kept = serializers._kept_serializers.serializers
    assert len(kept) == serializers.KEPT_SERIALIZERS
    # the most recent shape is kept
    assert (serializers.FacilitySerializer, True, (names[-1], names[-2]), True) in kept


@pytest.mark.django_db
def test_threads_serializing_at_once_keep_their_own_context():
    institution = InstitutionFactory(name="Operator", name_ja="運営者")
    facilities = [FacilityFactory(name=f"Ring {n}", name_ja=f"リング{n}") for n in range(1, 4)]
    for facility in facilities:
        FacilityRoleFactory(facility=facility, institution=institution)
    from directory import relations, selectors
    from directory.countries import countries_by_code

    records = list(Facility.objects.order_by("name"))
    selectors.attach_briefs(records, relations.FACILITY_LIST)
    start = threading.Barrier(2)
    found = {}

    def serialize(language):
        context = {
            "language": language,
            "api_root": f"http://{language}.example/api/v1/",
            "countries": countries_by_code(),
            "listing": True,
        }
        start.wait()
        found[language] = [
            serializers.represent(serializers.FacilitySerializer, records, context, many=True)
            for _ in range(50)
        ]

    threads = [threading.Thread(target=serialize, args=(lang,)) for lang in ("en", "ja")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for language, pages in found.items():
        for page in pages:
            for row in page:
                assert row["url"].startswith(f"http://{language}.example/")
                operator = row["institutions"][0]
                assert operator["display_name"] == ("運営者" if language == "ja" else "Operator")


def test_the_encoder_matches_drf_on_every_kind_of_value():
    data = {
        "text": "SPring-8 大型放射光施設",
        "separators": "line\u2028paragraph\u2029end",
        "amount": decimal.Decimal("8.00"),
        "at": datetime.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 11, 30),
        "lazy": lazy(lambda: "lazy text", str)(),
        "numbers": [1, 2.5, None, True, False],
        7: "an integer key",
    }
    fast = DirectoryJSONRenderer().render(data)
    plain = JSONRenderer().render(data)
    assert fast == plain
    assert b"\\u2028" in fast and b"\\u2029" in fast


def test_a_pretty_printed_answer_is_still_offered(api, seed_data):
    response = api.get("/api/v1/facilities/spring-8/", HTTP_ACCEPT="application/json; indent=2")
    assert response.status_code == 200
    assert response.content.startswith(b'{\n  "slug"')


def test_postgresql_prepares_the_statements_a_list_repeats(api):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    FacilityFactory.create_batch(3)
    for limit in (10, 11, 12):  # three answers, none from the response cache
        assert api.get(f"/api/v1/facilities/?limit={limit}").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("UNION ALL" in statement for statement in prepared), prepared
    assert any("COUNT(*)" in statement for statement in prepared), prepared
