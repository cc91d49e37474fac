"""Whole exports (?all=true), page links and counts, and content negotiation of lists."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import views
from tests.factories import FacilityFactory

URL = "/api/v1/facilities/"


def links(response) -> dict[str, str]:
    """The RFC 8288 Link header as {rel: url}."""
    found = re.findall(r'<([^>]*)>; rel="([a-z]+)"', response.get("Link", ""))
    return {rel: url for url, rel in found}


def streamed(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(body: bytes) -> list[dict]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


# --- pages ---------------------------------------------------------------------------------


def test_pages_carry_link_and_total_count(api):
    for number in range(7):
        FacilityFactory(slug=f"f-{number}", name=f"F {number}")
    response = api.get(URL, {"limit": 3, "offset": 3})
    assert response["X-Total-Count"] == "7"
    rels = links(response)
    assert set(rels) == {"first", "prev", "next", "last"}
    assert rels["next"] == response.json()["next"]
    assert rels["prev"] == response.json()["previous"]
    assert "offset" not in rels["first"] and "offset=6" in rels["last"]
    first = links(api.get(URL, {"limit": 3}))
    assert set(first) == {"first", "next", "last"}


def test_a_paged_csv_says_more_exist(api):
    for number in range(5):
        FacilityFactory(slug=f"f-{number}")
    response = api.get(URL, {"format": "csv", "limit": 2})
    assert len(csv_rows(response.content)) == 2
    assert response["X-Total-Count"] == "5"
    assert "offset=2" in links(response)["next"]


def test_past_the_end_previous_is_the_last_page(api):
    for number in range(5):
        FacilityFactory(slug=f"f-{number}")
    body = api.get(URL, {"limit": 2, "offset": 40}).json()
    assert body["results"] == [] and body["next"] is None
    assert "offset=4" in body["previous"] and "limit=2" in body["previous"]
    assert len(api.get(body["previous"]).json()["results"]) == 1


def test_search_pages_carry_links(api):
    for number in range(3):
        FacilityFactory(slug=f"light-{number}", name=f"Light {number}")
    response = api.get("/api/v1/search/", {"q": "light", "limit": 1})
    assert response["X-Total-Count"] == "3"
    assert "offset=1" in links(response)["next"]


# --- whole exports ----------------------------------------------------------------------------


def test_whole_csv_export_of_the_seed_data(api, seed_data):
    """The seeded facilities: a page holds 20, the export every one the list counts."""
    count = api.get(URL).json()["count"]
    assert count > 20
    response = api.get(URL, {"format": "csv", "all": "true"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Total-Count"] == str(count)
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(streamed(response))
    assert len(rows) == count
    assert len({row["slug"] for row in rows}) == count
    # the list's own order, and the same filters
    japan = api.get(URL, {"country": "JP", "limit": 200}).json()["results"]
    exported = csv_rows(streamed(api.get(URL, {"format": "csv", "all": "true", "country": "JP"})))
    assert [row["slug"] for row in exported] == [row["slug"] for row in japan]


def test_whole_geojson_export(api, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_CHUNK_ROWS", 2)
    for number in range(5):
        FacilityFactory(slug=f"f-{number}", latitude=35.0 + number, longitude=139.0)
    FacilityFactory(slug="nowhere", latitude=None, longitude=None)
    response = api.get(URL, {"format": "geojson", "all": "true", "fields": "slug,name"})
    document = json.loads(streamed(response))
    assert document["type"] == "FeatureCollection" and document["count"] == 5
    assert [feature["id"] for feature in document["features"]] == [f"f-{n}" for n in range(5)]
    assert document["features"][4]["geometry"]["coordinates"] == [139.0, 39.0]
    assert set(document["features"][0]["properties"]) == {"slug", "name"}


def test_an_empty_export_is_a_valid_document(api):
    assert json.loads(streamed(api.get(URL, {"format": "geojson", "all": "true"})))["count"] == 0
    assert streamed(api.get(URL, {"format": "csv", "all": "true"})) == "\ufeff".encode()


def test_export_runs_constant_sql_per_chunk(api, monkeypatch):
    """Each chunk costs the same queries whatever the export's size; nothing loads it all."""
    monkeypatch.setattr(views, "EXPORT_CHUNK_ROWS", 3)
    costs = []
    for _ in range(3):
        FacilityFactory.create_batch(3)
        with CaptureQueriesContext(connection) as queries:
            streamed(api.get(URL, {"format": "csv", "all": "true"}))
        costs.append(len(queries))
    per_chunk = costs[1] - costs[0]
    assert per_chunk == costs[2] - costs[1]
    assert 0 < per_chunk <= 6


def test_export_over_the_cap_is_a_400_naming_it(api, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_MAX_ROWS", 3)
    FacilityFactory.create_batch(4)
    response = api.get(URL, {"format": "csv", "all": "true"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    message = response.json()["all"][0]
    assert "3" in message and "filters" in message


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"all": "true"}, {"all"}),
        ({"all": "true", "format": "json"}, {"all"}),
        ({"all": "maybe", "format": "csv"}, {"all"}),
        ({"all": "true", "format": "csv", "limit": "5", "offset": "5"}, {"limit", "offset"}),
    ],
)
def test_bad_exports_are_400s_naming_the_parameter(api, params, names):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == names


def test_exports_are_not_kept_by_the_response_cache(api, settings):
    settings.RESPONSE_CACHE_SECONDS = 60
    FacilityFactory()
    api.get(URL, {"format": "csv", "all": "true"})
    again = api.get(URL, {"format": "csv", "all": "true"})
    assert again["X-Cache"] == "miss" and again.streaming


def test_programmes_offer_csv_exports_only(api):
    response = api.get("/api/v1/programmes/", {"format": "geojson", "all": "true"})
    assert response.status_code == 400


# --- negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, "/api/v1/programmes/", "/api/v1/search/?q=x"])
def test_a_format_a_list_cannot_give_is_a_406_naming_the_offered(api, url):
    response = api.get(url, HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/json")
    assert "text/csv" in response.json()["detail"]


def test_a_detail_still_answers_jsonld(api):
    FacilityFactory(slug="diamond")
    response = api.get(f"{URL}diamond/", HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 200
    assert json.loads(response.content)["@type"] == "Place"


# --- ordering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "choices"),
    [
        (
            URL,
            [
                "name",
                "name_ja",
                "updated_at",
                "first_operation_year",
                "energy_gev",
                "country",
                "distance",
            ],
        ),
        ("/api/v1/sources/", ["name", "name_ja", "published_on", "updated_at"]),
        ("/api/v1/calls/", ["closes_at", "opens_on", "name", "name_ja", "updated_at"]),
    ],
)
def test_a_bad_ordering_lists_every_choice(api, url, choices):
    response = api.get(url, {"ordering": "name,foo"})
    assert response.status_code == 400
    (message,) = response.json()["ordering"]
    assert "'foo'" in message
    listed = message.split(": ", 1)[1].rstrip(".").split(", ")
    assert sorted(listed) == sorted([*choices, *(f"-{c}" for c in choices)])


def test_ordering_by_japanese_name(api, seed_data):
    body = api.get(URL, {"ordering": "-name_ja", "limit": 200, "fields": "name_ja"}).json()
    names = [row["name_ja"] for row in body["results"]]
    assert names == sorted(names, reverse=True)
    assert names[0] and len(set(names)) > 10
    ascending = api.get("/api/v1/programmes/", {"ordering": "name_ja", "fields": "name_ja"})
    assert ascending.status_code == 200
