"""Japanese city names (Facility.city_ja, Institution.city_ja): searched as the record's place,
shown in the request language, written through the API and the admin, exported.

A city is part of the place key, so ``?q=仙台`` finds the records in Sendai, ranked by place:
below every record whose name holds the query (directory.selectors.search_condition).
"""

from __future__ import annotations

import csv
import importlib
import io
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from directory.models import Facility
from directory.selectors import SCORE_PLACE
from tests.factories import FacilityFactory, InstitutionFactory, cited_source
from tests.test_api_write import client_for, facility_payload
from tests.test_history import form_data

FACILITIES = "/api/v1/facilities/"
INSTITUTIONS = "/api/v1/institutions/"
SEARCH = "/api/v1/search/"


def results(api, url, **params) -> list[dict]:
    response = api.get(url, params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["results"]


@pytest.fixture
def sendai(db):
    """In Sendai by its place (city_ja), and a record whose name holds 仙台."""
    FacilityFactory(slug="ring", name="Storage Ring", city="Sendai", city_ja="仙台市")
    FacilityFactory(slug="sendai-lab", name="Sendai Lab", name_ja="仙台研究所", city="Tokai")
    InstitutionFactory(slug="campus", name="Aoba Campus", city="Sendai", city_ja="仙台市")
    InstitutionFactory(slug="sendai-college", name="Sendai College", name_ja="仙台高専")


@pytest.mark.parametrize(
    ("url", "by_name", "by_place"),
    [(FACILITIES, "sendai-lab", "ring"), (INSTITUTIONS, "sendai-college", "campus")],
)
def test_a_japanese_city_finds_the_record_by_its_place_below_a_name(
    api, sendai, url, by_name, by_place
):
    found = results(api, url, q="仙台")

    assert [row["slug"] for row in found] == [by_name, by_place]
    assert found[1]["score"] == SCORE_PLACE
    assert found[0]["score"] > SCORE_PLACE


def test_the_cross_kind_search_finds_both_kinds_by_the_japanese_city(api, sendai):
    found = results(api, SEARCH, q="仙台")

    by_place = [(row["kind"], row["slug"]) for row in found if row["score"] == SCORE_PLACE]
    assert sorted(by_place) == [("facility", "ring"), ("institution", "campus")]
    by_name = [row["slug"] for row in found if row["score"] > SCORE_PLACE]
    assert sorted(by_name) == ["sendai-college", "sendai-lab"]
    assert [row["score"] for row in found] == sorted((row["score"] for row in found), reverse=True)


def test_the_seeded_facilities_are_found_by_their_japanese_cities(api, seed_data):
    assert "nanoterasu" in [row["slug"] for row in results(api, FACILITIES, q="仙台")]
    tsukuba = results(api, FACILITIES, q="つくば")
    assert tsukuba
    assert all(
        Facility.objects.get(slug=row["slug"]).city == "Tsukuba"
        for row in tsukuba
        if row["score"] == SCORE_PLACE
    )
    assert any(row["score"] == SCORE_PLACE for row in tsukuba)
    assert "spring-8" in [row["slug"] for row in results(api, FACILITIES, q="佐用")]


def test_display_city_is_the_japanese_one_with_lang_ja_else_the_english(api, db):
    FacilityFactory(slug="ring", city="Sendai", city_ja="仙台市")
    FacilityFactory(slug="plain", city="Didcot")
    InstitutionFactory(slug="campus", city="Sendai", city_ja="仙台市")

    ring = api.get(f"{FACILITIES}ring/", {"lang": "ja"}).json()
    assert (ring["city"], ring["city_ja"], ring["display_city"]) == ("Sendai", "仙台市", "仙台市")
    assert api.get(f"{FACILITIES}ring/").json()["display_city"] == "Sendai"
    assert api.get(f"{FACILITIES}plain/", {"lang": "ja"}).json()["display_city"] == "Didcot"
    listed = {row["slug"]: row for row in results(api, FACILITIES, lang="ja")}
    assert listed["ring"]["display_city"] == "仙台市"
    assert listed["plain"]["city_ja"] == ""
    assert api.get(f"{INSTITUTIONS}campus/", {"lang": "ja"}).json()["display_city"] == "仙台市"


def test_jsonld_gives_the_locality_in_both_languages(api, db):
    FacilityFactory(slug="ring", city="Sendai", city_ja="仙台市")

    document = api.get(f"{FACILITIES}ring/", HTTP_ACCEPT="application/ld+json").json()

    assert document["address"]["addressLocality"] == [
        {"@value": "Sendai", "@language": "en"},
        {"@value": "仙台市", "@language": "ja"},
    ]


def test_csv_export_has_the_japanese_city_column(api, db):
    FacilityFactory(slug="ring", city="Sendai", city_ja="仙台市")

    response = api.get(FACILITIES, {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (rows[0]["city"], rows[0]["city_ja"]) == ("Sendai", "仙台市")


def test_the_write_api_sets_city_ja_and_search_finds_it_at_once(django_user_model, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    cited_source()
    curator = client_for(django_user_model, "carol", "curator")  # staff: sees its draft
    payload = facility_payload(city="Tsukuba", city_ja="つくば市")

    response = curator.post(FACILITIES, payload, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["city_ja"] == "つくば市"
    assert [row["slug"] for row in results(curator, FACILITIES, q="つくば")] == [
        "test-light-source"
    ]
    assert [row["slug"] for row in results(curator, FACILITIES, city_ja__isw="つくば")] == [
        "test-light-source"
    ]


def test_the_admin_form_saves_city_ja_into_the_place_key(admin_client):
    facility = FacilityFactory(slug="ring", name="Storage Ring", city="Sendai")
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    page = admin_client.get(url)
    assert 'name="city_ja"' in page.content.decode()
    data = form_data(page)
    data["city_ja"] = ["仙台市"]
    data["review_note"] = [""]

    response = admin_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    facility.refresh_from_db()
    assert facility.city_ja == "仙台市"
    assert "仙台" in facility.place_key


def test_the_migration_rebuilds_place_keys_as_a_save_derives_them(db):
    """0022 rebuilds the stored place keys with city_ja: the same keys every save derives (a
    unit's keeps its published parent's names, 0021)."""
    migration = importlib.import_module("directory.migrations.0022_city_ja")
    facility = FacilityFactory(slug="ring", city="Sendai", city_ja="仙台市", site="Aobayama")
    parent = InstitutionFactory(slug="university", name="Aobayama University")
    institution = InstitutionFactory(slug="campus", city="Sendai", city_ja="仙台市", parent=parent)
    institution.refresh_from_db()
    derived = {"ring": facility.place_key, "campus": institution.place_key}
    assert "aobayamauniversity" in derived["campus"]
    with connection.cursor() as cursor:  # keys as a database before 0022 held them
        cursor.execute("UPDATE directory_facility SET place_key = ''")
        cursor.execute("UPDATE directory_institution SET place_key = ''")

    state = MigrationLoader(connection).project_state(("directory", "0022_city_ja"))
    migration.rebuild_place_keys(state.apps, connection.schema_editor())

    facility.refresh_from_db()
    institution.refresh_from_db()
    assert {"ring": facility.place_key, "campus": institution.place_key} == derived
    assert "仙台" in facility.place_key
