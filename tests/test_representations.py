"""Cached representations answer byte for byte what DRF computes, and never outlive a write.

A record's representation is cached under its version (api.representations); the write
services raise the version of every record whose representation a write changes
(directory.services.versions). The tests answer the same requests with the cache off
(DRF's serializer on every request), cold and warm, and compare the bytes; then they change
records in every way that reaches another record's representation and read it again.
"""

import datetime
import decimal
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.functional import lazy
from rest_framework.renderers import JSONRenderer

from api.renderers import DirectoryJSONRenderer
from api.urls import router
from directory import services
from directory.models import Facility
from tests.factories import (
    CallFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    InstrumentFactory,
    ProgrammeFactory,
    TechniqueFactory,
    delete,
    update,
)

# Every list the API routes, so a resource added later is compared too.
LISTS = [f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry]
QUERIES = ["?limit=200", "?limit=200&lang=ja", "?fields=slug,name,url", "?format=csv"]


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    """Every answer computed by the view (the response cache would replay the first)."""
    settings.RESPONSE_CACHE_SECONDS = 0


def answers(client, urls) -> dict[str, bytes]:
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = response.content
    return found


def detail_urls(api) -> list[str]:
    urls = []
    for url in LISTS:
        for row in api.get(f"{url}?limit=3").json()["results"]:
            path = row["url"].removeprefix("http://localhost")
            urls += [path, f"{path}?lang=ja", f"{path}?format=jsonld", f"{path}?format=csv"]
    return urls


@pytest.mark.parametrize("who", ["api", "staff_api"])
def test_every_answer_is_the_same_uncached_cold_and_warm(request, settings, seed_data, who):
    client = request.getfixturevalue(who)
    CallFactory()
    CallFactory(opens_on=None, closes_at=timezone.now() - datetime.timedelta(days=3))
    ProgrammeFactory(is_published=False, facilities=[Facility.objects.get(slug="spring-8")])
    urls = [url + query for url in LISTS for query in QUERIES]
    urls += ["/api/v1/facilities/?format=geojson", "/api/v1/institutions/?format=geojson"]
    urls += ["/api/v1/facilities/?near=38.26,140.87&radius_km=500&ordering=distance"]
    urls += detail_urls(client)
    settings.REPRESENTATION_CACHE_SECONDS = 0
    plain = answers(client, urls)
    settings.REPRESENTATION_CACHE_SECONDS = 600
    cold = answers(client, urls)
    warm = answers(client, urls)
    assert len(urls) > 100
    for url in urls:
        assert cold[url] == plain[url], url
        assert warm[url] == plain[url], url
    assert json.loads(plain["/api/v1/calls/?limit=200"])["results"]


def test_a_warm_page_renders_nothing_and_reads_no_summaries(api, seed_data):
    api.get("/api/v1/facilities/?limit=200")
    with CaptureQueriesContext(connection) as warm:
        assert api.get("/api/v1/facilities/?limit=200").status_code == 200
    statements = [query["sql"] for query in warm.captured_queries]
    assert not any("UNION ALL" in sql for sql in statements), statements


def facility_row(api, slug, query=""):
    rows = api.get(f"/api/v1/facilities/?limit=200{query}").json()["results"]
    return next(row for row in rows if row["slug"] == slug)


def test_a_renamed_technique_shows_in_every_facility_at_once(api, db):
    technique = TechniqueFactory(name="XAFS")
    facilities = [FacilityFactory(techniques=[technique]) for _ in range(30)]
    assert facility_row(api, facilities[0].slug)["techniques"][0]["name"] == "XAFS"
    with CaptureQueriesContext(connection) as write:
        update(technique, name="X-ray absorption")
    bumps = [
        query["sql"]
        for query in write.captured_queries
        if query["sql"].startswith("UPDATE")
        and "directory_facility" in query["sql"].split("SET")[0]
    ]
    assert len(bumps) == 1, bumps  # one UPDATE for all 30 facilities
    rows = api.get("/api/v1/facilities/?limit=200").json()["results"]
    assert {row["techniques"][0]["name"] for row in rows} == {"X-ray absorption"}


def test_links_made_and_undone_show_on_both_sides(api, db):
    technique = TechniqueFactory()
    facility = FacilityFactory()
    assert api.get(f"/api/v1/techniques/{technique.slug}/").json()["facilities"] == []
    services.record_update(record=facility, relations={"techniques": [technique]}, reason="Link")
    shown = api.get(f"/api/v1/techniques/{technique.slug}/").json()["facilities"]
    assert [brief["slug"] for brief in shown] == [facility.slug]
    services.record_update(record=facility, relations={"techniques": []}, reason="Unlinked")
    assert api.get(f"/api/v1/techniques/{technique.slug}/").json()["facilities"] == []


def test_a_new_role_shows_on_the_institution(api, db):
    institution = InstitutionFactory()
    facility = FacilityFactory()
    assert api.get(f"/api/v1/institutions/{institution.slug}/").json()["facilities"] == []
    FacilityRoleFactory(facility=facility, institution=institution, role="owner")
    shown = api.get(f"/api/v1/institutions/{institution.slug}/").json()["facilities"]
    assert [(brief["slug"], [r["role"] for r in brief["roles"]]) for brief in shown] == [
        (facility.slug, ["owner"])
    ]


def test_an_unpublished_or_deleted_record_leaves_the_records_showing_it(api, db):
    technique = TechniqueFactory()
    programme = ProgrammeFactory()
    facility = FacilityFactory(techniques=[technique])
    services.record_update(record=programme, relations={"facilities": [facility]}, reason="Link")
    detail = api.get(f"/api/v1/facilities/{facility.slug}/").json()
    assert detail["techniques"] and detail["programmes"]
    update(technique, is_published=False)
    delete(programme)
    detail = api.get(f"/api/v1/facilities/{facility.slug}/").json()
    assert detail["techniques"] == [] and detail["programmes"] == []


def test_single_links_shown_in_brief_follow_their_records(api, db):
    parent = InstitutionFactory(name="Parent")
    child = InstitutionFactory(parent=parent)
    call = CallFactory(programme=ProgrammeFactory(name="Old programme"))
    assert api.get(f"/api/v1/institutions/{child.slug}/").json()["parent"]["name"] == "Parent"
    assert api.get(f"/api/v1/calls/{call.slug}/").json()["programme"]["name"] == "Old programme"
    update(parent, name="Renamed parent")
    update(call.programme, name="New programme")
    assert api.get(f"/api/v1/institutions/{child.slug}/").json()["parent"]["name"] == (
        "Renamed parent"
    )
    assert api.get(f"/api/v1/calls/{call.slug}/").json()["programme"]["name"] == "New programme"


def test_an_instrument_moving_changes_both_facilities(api, db):
    first, second = FacilityFactory(), FacilityFactory()
    instrument = InstrumentFactory(facility=first, name="BL01")

    def instruments(facility):
        return [
            b["name"] for b in api.get(f"/api/v1/facilities/{facility.slug}/").json()["instruments"]
        ]

    assert instruments(first) == ["BL01"] and instruments(second) == []
    update(instrument, facility=second)
    assert instruments(first) == [] and instruments(second) == ["BL01"]
    update(instrument, name="BL02")
    assert instruments(second) == ["BL02"]
    delete(instrument)
    assert instruments(second) == []


def test_what_depends_on_the_moment_is_never_cached(api, db, monkeypatch):
    call = CallFactory(closes_at=timezone.now() + datetime.timedelta(days=1))
    assert api.get(f"/api/v1/calls/{call.slug}/").json()["status"] == "open"
    programme = api.get(f"/api/v1/programmes/{call.programme.slug}/").json()
    assert [c["slug"] for c in programme["open_calls"]] == [call.slug]
    later = timezone.now() + datetime.timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert api.get(f"/api/v1/calls/{call.slug}/").json()["status"] == "closed"
    assert api.get(f"/api/v1/programmes/{call.programme.slug}/").json()["open_calls"] == []


def test_the_distance_is_the_request_s_own(api, db):
    FacilityFactory(slug="ring", latitude=38.26, longitude=140.87)
    assert "distance_km" not in facility_row(api, "ring")
    near = facility_row(api, "ring", "&near=38.26,140.87&radius_km=100")["distance_km"]
    far = facility_row(api, "ring", "&near=38.0,140.87&radius_km=100")["distance_km"]
    assert near == 0.0 and far == pytest.approx(28.9, abs=0.1)
    # The cached representation never keeps a distance for a list without near.
    assert "distance_km" not in facility_row(api, "ring")


def test_drafts_shown_to_staff_never_reach_the_public(api, staff_api, db):
    facility = FacilityFactory(techniques=[TechniqueFactory(slug="draft-tech", is_published=False)])
    path = f"/api/v1/facilities/{facility.slug}/"
    assert [t["slug"] for t in staff_api.get(path).json()["techniques"]] == ["draft-tech"]
    assert api.get(path).json()["techniques"] == []


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


def test_postgresql_prepares_the_statements_a_list_repeats(api, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    settings.REPRESENTATION_CACHE_SECONDS = 0  # every answer reads its summaries
    FacilityFactory.create_batch(3)
    for limit in (10, 11, 12):  # three answers, none from the response cache
        # filtered: an unfiltered list keeps its count instead of repeating it
        url = f"/api/v1/facilities/?kind=synchrotron&limit={limit}"
        assert api.get(url).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("UNION ALL" in statement for statement in prepared), prepared
    assert any("COUNT(*)" in statement for statement in prepared), prepared


def test_on_the_seed_data_a_renamed_technique_reaches_the_cached_facilities(api, seed_data):
    """The seed path `make run` loads: SPring-8's cached representation follows XAFS's name."""
    from directory.models import Technique

    def spring8_techniques():
        return {t["slug"]: t["name"] for t in facility_row(api, "spring-8")["techniques"]}

    before = spring8_techniques()
    assert "xafs" in before
    assert spring8_techniques() == before  # served from the representation cache
    update(Technique.objects.get(slug="xafs"), name="X-ray absorption fine structure (renamed)")
    assert spring8_techniques()["xafs"] == "X-ray absorption fine structure (renamed)"
