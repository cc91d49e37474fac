"""An institution is found by its published parent's names (Institution.KEY_RELATIONS), ranked
as its place is: after every record whose own names match, the parent first. The place keys
follow every write of the parent (names, publication) and of the unit (its parent); a draft
parent's names never make a unit findable."""

from __future__ import annotations

import importlib
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from directory import services
from directory.models import ChangeEvent, Institution
from directory.roles import sync_role_groups
from directory.selectors import SCORE_PLACE
from tests.factories import InstitutionFactory, api_token, delete, direct_writes, update

pytestmark = pytest.mark.django_db

INSTITUTIONS = "/api/v1/institutions/"
SEARCH = "/api/v1/search/"
UNIVERSITY = "university"


def found(client, query: str, url: str = INSTITUTIONS) -> list[str]:
    """The slugs a search answers, best first (asserts a 200 first)."""
    response = client.get(url, {"q": query, "limit": 50})
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["slug"] for row in response.json()["results"]]


def scores(client, query: str) -> dict[str, float]:
    response = client.get(INSTITUTIONS, {"q": query, "limit": 50})
    assert response.status_code == HTTPStatus.OK, response.content
    return {row["slug"]: row["score"] for row in response.json()["results"]}


@pytest.fixture
def tohoku(db):
    """Tohoku University and two of its institutes; Kyoto University beside them."""
    university = InstitutionFactory(
        slug="tohoku-university",
        name="Tohoku University",
        name_ja="東北大学",
        aliases=["Tohoku Univ."],
        kind=UNIVERSITY,
        city="Sendai",
    )
    InstitutionFactory(
        slug="imr",
        name="Institute for Materials Research",
        name_ja="金属材料研究所",
        acronym="IMR",
        city="Sendai",
        parent=university,
    )
    InstitutionFactory(
        slug="imram",
        name="Institute of Multidisciplinary Research for Advanced Materials",
        name_ja="多元物質科学研究所",
        acronym="IMRAM",
        city="Sendai",
        parent=university,
    )
    InstitutionFactory(slug="kyoto-university", name="Kyoto University", kind=UNIVERSITY)
    return university


@pytest.fixture(autouse=True)
def _answers_computed(settings):
    """Every answer computed from the database: these tests read the keys, not the response
    cache (their writes never commit, so no write would mark a cached answer stale).
    test_a_parents_rename_makes_the_cached_searches_of_its_units_stale reads the cache."""
    settings.RESPONSE_CACHE_SECONDS = 0


# --- ranking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["tohoku university", "Tohoku University", "東北大学", "tohoku"])
def test_units_are_found_by_their_parents_names_after_the_parent(api, tohoku, query):
    assert found(api, query) == ["tohoku-university", "imr", "imram"]


def test_a_parents_name_scores_a_unit_at_the_place_level(api, tohoku):
    score = scores(api, "tohoku university")
    assert score["tohoku-university"] > 1
    assert score["imr"] == score["imram"] == SCORE_PLACE


def test_the_cross_kind_search_finds_the_units_after_the_parent(api, tohoku):
    assert found(api, "東北大学", SEARCH) == ["tohoku-university", "imr", "imram"]


def test_a_units_own_name_still_ranks_it_first(api, tohoku):
    assert found(api, "imr")[0] == "imr"
    assert found(api, "金属材料研究所") == ["imr"]


def test_a_list_found_by_parents_runs_the_same_number_of_queries_however_many_units(api, tohoku):
    def search() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(INSTITUTIONS, {"q": "tohoku university", "limit": 50})
        assert response.status_code == HTTPStatus.OK, response.content
        return len(captured), [row["slug"] for row in response.json()["results"]]

    api.get(INSTITUTIONS, {"q": "kyoto"})  # what the first request of a test warms
    few, slugs = search()
    assert len(slugs) == 3
    for number in range(5):
        InstitutionFactory(slug=f"unit-{number}", name=f"Unit {number}", parent=tohoku)
    many, slugs = search()
    assert len(slugs) == 8
    assert many == few


# --- drafts -----------------------------------------------------------------------------------


@pytest.fixture
def draft_parent(db):
    parent = InstitutionFactory(
        slug="hidden-consortium", name="Hidden Consortium", name_ja="秘密連合", is_published=False
    )
    InstitutionFactory(slug="open-lab", name="Open Lab", parent=parent)
    return parent


@pytest.mark.parametrize("query", ["hidden consortium", "hidden", "秘密連合"])
def test_a_draft_parents_names_find_nothing_for_the_public(api, draft_parent, query):
    assert found(api, query) == []
    assert found(api, query, SEARCH) == []


def test_staff_find_the_draft_parent_but_not_its_units_by_its_name(staff_api, draft_parent):
    assert found(staff_api, "hidden consortium") == ["hidden-consortium"]


def test_publishing_the_parent_makes_its_units_findable_by_its_names(api, draft_parent):
    services.record_publish(record=draft_parent, reason="Checked")
    assert found(api, "hidden consortium") == ["hidden-consortium", "open-lab"]


def test_unpublishing_the_parent_removes_its_names_from_its_units(api, tohoku):
    assert found(api, "tohoku university") == ["tohoku-university", "imr", "imram"]
    services.record_unpublish(record=tohoku, reason="Under review")
    assert found(api, "tohoku university") == []
    assert found(api, "東北大学", SEARCH) == []
    assert found(api, "金属材料研究所") == ["imr"]  # the units stay public, by their own names


# --- writes keep the keys ---------------------------------------------------------------------


def test_renaming_the_parent_moves_its_units_to_the_new_name(api, tohoku):
    update(tohoku, name="Sendai Imperial University", name_ja="仙台帝国大学", aliases=[])
    assert found(api, "sendai imperial university") == ["tohoku-university", "imr", "imram"]
    assert found(api, "仙台帝国大学") == ["tohoku-university", "imr", "imram"]
    assert found(api, "tohoku university") == []
    assert found(api, "東北大学") == []


def test_an_alias_written_through_the_api_finds_the_units(api, tohoku, django_user_model):
    sync_role_groups()
    user = django_user_model.objects.create_user("eddie", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    editor = APIClient(HTTP_HOST="localhost")
    editor.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    response = editor.patch(
        f"{INSTITUTIONS}tohoku-university/",
        {"aliases": ["Tohoku Imperial University"]},
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert found(api, "tohoku imperial") == ["tohoku-university", "imr", "imram"]
    assert found(api, "tohoku univ") == ["tohoku-university", "imr", "imram"]


def test_the_units_keys_are_rebuilt_without_history_or_change_events(tohoku):
    imr = Institution.objects.get(slug="imr")
    entries, events = imr.history.count(), ChangeEvent.objects.filter(slug="imr").count()
    update(tohoku, name="Sendai Imperial University")
    rebuilt = Institution.objects.get(slug="imr")
    assert "sendaiimperialuniversity" in rebuilt.place_key
    assert "tohokuuniversity" not in rebuilt.place_key
    assert (rebuilt.history.count(), ChangeEvent.objects.filter(slug="imr").count()) == (
        entries,
        events,
    )
    assert rebuilt.updated_at == imr.updated_at


def test_moving_a_unit_to_another_parent_moves_it_in_search(api, tohoku):
    kyoto = Institution.objects.get(slug="kyoto-university")
    update(Institution.objects.get(slug="imr"), parent=kyoto)
    assert found(api, "tohoku university") == ["tohoku-university", "imram"]
    assert found(api, "kyoto university") == ["kyoto-university", "imr"]
    update(Institution.objects.get(slug="imr"), parent=None)
    assert found(api, "kyoto university") == ["kyoto-university"]


def test_a_parent_with_units_cannot_be_deleted_so_no_unit_keeps_a_gone_name(api, tohoku):
    with pytest.raises(services.RecordInUse):
        delete(tohoku)
    assert found(api, "tohoku university") == ["tohoku-university", "imr", "imram"]


@pytest.mark.parametrize("write", ["rename", "unpublish"])
def test_a_parents_write_makes_the_cached_searches_of_its_units_stale(
    api, settings, reference_data, write
):
    """With the response cache on and writes that commit: the parent's write marks the
    institution lists changed, so the units' cached search answer is computed again."""
    settings.RESPONSE_CACHE_SECONDS = 60
    university = InstitutionFactory(slug="tohoku-university", name="Tohoku University")
    InstitutionFactory(slug="imr", name="Institute for Materials Research", parent=university)
    query = {"q": "tohoku university", "limit": 50}
    assert found(api, "tohoku university") == ["tohoku-university", "imr"]  # cached
    assert api.get(INSTITUTIONS, query)["X-Cache"] == "hit"

    if write == "rename":
        update(university, name="Sendai Imperial University")
    else:
        services.record_unpublish(record=university, reason="Under review")

    response = api.get(INSTITUTIONS, query)
    assert response["X-Cache"] == "miss"
    assert response.json()["results"] == []
    if write == "rename":
        assert found(api, "sendai imperial") == ["tohoku-university", "imr"]


# --- existing keys: the migration -------------------------------------------------------------


def test_the_migration_rebuilds_the_stored_place_keys(api, tohoku, draft_parent):
    derived = {row.slug: row.place_key for row in Institution.objects.all()}
    with direct_writes():
        Institution.objects.filter(slug__in=["imr", "open-lab"]).update(place_key="|stale|")
    assert "imr" not in found(api, "tohoku university")

    migration = importlib.import_module("directory.migrations.0021_parent_names_in_place_keys")
    state = MigrationLoader(connection).project_state(
        ("directory", "0021_parent_names_in_place_keys")
    )
    editor = SimpleNamespace(connection=connection)
    migration.rebuild_institution_place_keys(state.apps, editor)

    assert {row.slug: row.place_key for row in Institution.objects.all()} == derived
    assert found(api, "tohoku university") == ["tohoku-university", "imr", "imram"]
    assert found(api, "hidden consortium") == []


# --- the seed data ----------------------------------------------------------------------------


def test_seeded_units_are_found_by_their_parents_names(api, seed_data):
    by_parent = found(api, "UK Research and Innovation")
    assert by_parent[0] == "ukri"
    assert {"stfc", "epsrc", "innovate-uk"} <= set(by_parent[1:])
    by_japanese_name = found(api, "米国エネルギー省")
    assert by_japanese_name[0] == "doe"
    assert {
        "argonne-national-laboratory",
        "lawrence-berkeley-national-laboratory",
        "fermilab",
        "arpa-e",
    } <= set(by_japanese_name[1:])
