"""Sync pages (?sync=true, ?cursor=): every record once, in the order of the last change, with
a signed cursor to come back with; and ordering by Japanese name."""

import datetime
import re
from urllib.parse import urlencode

import factory
import pytest
from django.db import connection
from django.utils import timezone

from directory import services
from directory.models import Facility
from tests.factories import FacilityFactory, InstitutionFactory, ProgrammeFactory, cited_source
from tests.test_api_queries import MAX_QUERIES, count_queries

URL = "/api/v1/facilities/"


@pytest.fixture(autouse=True)
def _computed_by_the_view(settings):
    """Every answer computed (these writes never commit, so no generation moves): how the
    response cache treats sync pages is tested in tests/test_cache_invalidation.py."""
    settings.RESPONSE_CACHE_SECONDS = 0


def links(response) -> dict[str, str]:
    found = re.findall(r'<([^>]*)>; rel="([a-z]+)"', response.get("Link", ""))
    return {rel: url for url, rel in found}


def walk(api, url: str, params: dict) -> tuple[list[str], str]:
    """Every page from ``url`` following ``next``: the slugs in order and the last cursor."""
    slugs, response = [], api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body and "X-Total-Count" not in response
        slugs += [row["slug"] for row in body["results"]]
        assert links(response).get("next") == body["next"]
        if body["next"] is None:
            return slugs, body["cursor"]
        response = api.get(body["next"])


def test_a_sync_lists_every_public_record_once_in_the_order_of_change(api):
    made = [FacilityFactory(slug=f"f-{n}") for n in range(7)]
    FacilityFactory(slug="draft", is_published=False)
    services.record_update(record=made[2], fields={"city": "Sayo"}, reason="test")

    slugs, _cursor = walk(api, URL, {"sync": "true", "limit": 3})

    assert slugs == ["f-0", "f-1", "f-3", "f-4", "f-5", "f-6", "f-2"]


def test_the_last_cursor_brings_the_records_changed_since(api):
    first, second = FacilityFactory(slug="first"), FacilityFactory(slug="second")
    slugs, cursor = walk(api, URL, {"sync": "true"})
    assert slugs == ["first", "second"]
    assert walk(api, URL, {"cursor": cursor}) == ([], cursor)  # nothing new: same position

    services.record_update(record=first, fields={"city": "Tokai"}, reason="test")
    FacilityFactory(slug="third")
    services.record_update(record=second, fields={"is_published": False}, reason="test")

    slugs, later = walk(api, URL, {"cursor": cursor})
    assert slugs == ["first", "third"]  # the unpublished one is gone (see /changes/)
    assert later != cursor


def test_records_changed_at_the_same_moment_are_each_listed_once(api):
    """The position is (updated_at, id): ties across a page boundary are neither repeated
    nor skipped (an import keeps the timestamps it is given)."""
    cited_source()
    moment = timezone.now() - datetime.timedelta(days=1)
    for n in range(5):
        fields = factory.build(dict, FACTORY_CLASS=FacilityFactory, slug=f"tie-{n}")
        services.record_create(
            model=Facility,
            fields={**fields, "created_at": moment, "updated_at": moment},
            keep_timestamps=True,
        )
    assert Facility.objects.filter(updated_at=moment).count() == 5

    slugs, _cursor = walk(api, URL, {"sync": "true", "limit": 2})

    assert slugs == [f"tie-{n}" for n in range(5)]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite is one machine's file: one clock (directory.write_clock)",
)
def test_a_write_on_a_server_whose_clock_is_behind_still_reaches_the_reader(api, monkeypatch):
    """App servers' clocks differ. A record written after another, on a server whose clock is
    an hour behind, is stamped with the database's clock read in the writers' turn
    (directory.write_clock), so a reader whose cursor passed the first write still gets it;
    stamped with that server's clock it would sort before the cursor and never be listed."""
    FacilityFactory(slug="written-first")
    slugs, cursor = walk(api, URL, {"sync": "true"})
    assert slugs == ["written-first"]

    with connection.cursor() as database:
        database.execute("SELECT clock_timestamp()")
        (before,) = database.fetchone()
    app_clock = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: app_clock() - datetime.timedelta(hours=1))
    later = FacilityFactory(slug="written-on-a-slow-server")
    later.refresh_from_db()
    # A creation's two stamps come from the same clock: equal.
    assert later.created_at == later.updated_at >= before
    services.record_update(record=later, fields={"city": "Tokai"}, reason="test")
    monkeypatch.undo()

    later.refresh_from_db()
    assert later.updated_at >= before  # the database's clock, not the server's hour behind
    assert walk(api, URL, {"cursor": cursor})[0] == ["written-on-a-slow-server"]


def test_sync_pages_link_first_and_next(api):
    FacilityFactory.create_batch(3)
    response = api.get(URL, {"sync": "true", "limit": 2, "country": "JP"})
    rels = links(response)
    assert set(rels) == {"first", "next"}
    assert "cursor=" in rels["next"] and "country=JP" in rels["next"]
    assert "cursor" not in rels["first"] and "sync=true" in rels["first"]
    last = api.get(rels["next"])
    assert set(links(last)) == {"first"}
    assert len(last.json()["results"]) == 1


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "bnVsbA:1vQx3Z:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "' OR 1=1 --"],
)
def test_a_cursor_not_ours_is_a_400_naming_it(api, cursor):
    response = api.get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert set(response.json()) == {"cursor"}
    assert "sync=true" in response.json()["cursor"][0]


def test_a_tampered_or_foreign_cursor_is_a_400(api):
    FacilityFactory.create_batch(2)
    ProgrammeFactory()
    cursor = api.get(URL, {"sync": "true", "limit": 1}).json()["cursor"]
    assert api.get(URL, {"cursor": cursor}).status_code == 200
    tampered = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    assert api.get(URL, {"cursor": tampered}).status_code == 400
    foreign = api.get("/api/v1/programmes/", {"cursor": cursor})
    assert foreign.status_code == 400 and set(foreign.json()) == {"cursor"}


@pytest.mark.parametrize(
    "params, refused",
    [
        ({"sync": "true", "offset": "20"}, {"offset"}),
        ({"sync": "true", "ordering": "name"}, {"ordering"}),
        ({"sync": "true", "offset": "0", "ordering": "-name"}, {"offset", "ordering"}),
        ({"sync": "true", "all": "true", "format": "csv"}, {"all"}),
        ({"sync": "maybe"}, {"sync"}),
    ],
)
def test_offsets_and_orderings_are_refused_on_a_sync_page(api, params, refused):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == refused
    if "offset" in refused:
        assert "ordering" in response.json()["offset"][0]


def test_a_cursor_keeps_drafts_out_and_staff_see_them(api, staff_api):
    FacilityFactory(slug="public")
    FacilityFactory(slug="draft", is_published=False)
    assert walk(api, URL, {"sync": "true", "limit": 1})[0] == ["public"]
    assert walk(staff_api, URL, {"sync": "true", "limit": 1})[0] == ["public", "draft"]


def test_a_sync_page_costs_the_same_sql_whatever_its_size(api):
    """(tests/test_api_queries.py measures sync=true on 200 linked records of every kind.)"""
    FacilityFactory.create_batch(12)
    cursor = api.get(URL, {"sync": "true", "limit": 1}).json()["cursor"]
    for start in ({"sync": "true"}, {"cursor": cursor}):
        for warm in (False, True):
            url = f"{URL}?{urlencode(start)}"
            one = count_queries(api, f"{url}&limit=1", warm=warm)
            assert one == count_queries(api, f"{url}&limit=200", warm=warm) <= MAX_QUERIES


def test_sync_pages_in_csv_and_geojson(api):
    FacilityFactory.create_batch(3, latitude=35.0, longitude=139.0)
    csv_page = api.get(URL, {"sync": "true", "limit": 2, "format": "csv"})
    assert csv_page.status_code == 200 and "next" in links(csv_page)
    geo = api.get(URL, {"sync": "true", "limit": 2, "format": "geojson"}).json()
    assert len(geo["features"]) == 2 and geo["cursor"] and geo["next"]


def test_a_sync_of_the_seed_data_holds_every_listed_facility(api, seed_data):
    listed = {row["slug"] for row in api.get(URL, {"limit": 200}).json()["results"]}
    slugs, _cursor = walk(api, URL, {"sync": "true", "limit": 7})
    assert len(slugs) == len(set(slugs)) == len(listed) > 20
    assert set(slugs) == listed


# --- ordering by Japanese name ------------------------------------------------------------


def test_name_ja_ordering_puts_records_without_one_last_both_ways(api):
    FacilityFactory(slug="no-ja-b", name="B", name_ja="")
    FacilityFactory(slug="i", name="I", name_ja="い")
    FacilityFactory(slug="no-ja-a", name="A", name_ja="")
    FacilityFactory(slug="a", name="Z", name_ja="あ")

    def order(ordering):
        response = api.get(URL, {"ordering": ordering})
        assert response.status_code == 200, response.content
        return [row["slug"] for row in response.json()["results"]]

    assert order("name_ja") == ["a", "i", "no-ja-a", "no-ja-b"]
    assert order("-name_ja") == ["i", "a", "no-ja-b", "no-ja-a"]


def test_name_ja_ordering_of_the_seed_data(api, seed_data):
    for ordering in ("name_ja", "-name_ja"):
        rows = api.get(URL, {"ordering": ordering, "limit": 200}).json()["results"]
        names = [row["name_ja"] for row in rows]
        with_name = [name for name in names if name]
        assert with_name == sorted(with_name, reverse=ordering.startswith("-"))
        assert names == with_name + [""] * (len(names) - len(with_name))


@pytest.mark.parametrize(("spelling", "meaning"), [("TRUE", True), ("1", True), ("no", False)])
def test_every_boolean_parameter_reads_one_rule(api, spelling, meaning):
    """``sync=``, ``all=`` and boolean filters take the same spellings (true/false, 1/0, yes/no,
    any case): directory.filtersets.parse_boolean."""
    FacilityFactory()
    InstitutionFactory()  # no ROR id: has_ror_id=false counts it, true does not
    synced = api.get(URL, {"sync": spelling})
    assert synced.status_code == 200 and ("cursor" in synced.json()) is meaning
    exported = api.get(URL, {"all": spelling, "format": "csv"})
    assert exported.status_code == 200 and exported.streaming is meaning
    institutions = api.get("/api/v1/institutions/", {"has_ror_id": spelling})
    assert institutions.status_code == 200
    expected = api.get("/api/v1/institutions/", {"has_ror_id": str(meaning).lower()})
    assert institutions.json()["count"] == expected.json()["count"] == (0 if meaning else 1)
