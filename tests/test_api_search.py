"""Search tolerance and ranking, on the facility list (q=) and on the cross-kind /api/v1/search/."""

from http import HTTPStatus

import pytest
from django.core.cache import cache

from tests.factories import (
    CallFactory,
    FacilityFactory,
    InstitutionFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db

FACILITIES = "/api/v1/facilities/"
SEARCH = "/api/v1/search/"


def slugs(response) -> list[str]:
    """Slugs of the results, in order (asserts a 200 first)."""
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def famous(db):
    """Three facilities known under several spellings."""
    FacilityFactory(slug="spring-8", name="SPring-8", aliases=["スプリングエイト"])
    FacilityFactory(
        slug="nanoterasu", name="NanoTerasu", name_ja="ナノテラス", aliases=["Nano Terasu"]
    )
    FacilityFactory(slug="j-parc", name="J-PARC", name_ja="大強度陽子加速器施設")


# --- Tolerant matching ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("spring8", "spring-8"),
        ("SPring-8", "spring-8"),
        ("SPring–8", "spring-8"),  # en dash
        ("ｓｐｒｉｎｇ－８", "spring-8"),  # full width
        ("ＳＰＲＩＮＧ８", "spring-8"),
        ("スプリングエイト", "spring-8"),  # Japanese alias
        ("すぷりんぐえいと", "spring-8"),  # the alias in hiragana
        ("ナノテラス", "nanoterasu"),
        ("nano terasu", "nanoterasu"),
        ("jparc", "j-parc"),
        ("J–PARC", "j-parc"),
        ("陽子加速器", "j-parc"),
    ],
)
def test_spelling_variants_find_the_facility(api, famous, query, expected):
    assert slugs(api.get(FACILITIES, {"q": query})) == [expected]
    assert slugs(api.get(SEARCH, {"q": query})) == [expected]


def test_query_of_only_punctuation_finds_nothing(api, famous):
    assert slugs(api.get(FACILITIES, {"q": "--"})) == []
    assert slugs(api.get(SEARCH, {"q": "--"})) == []


# --- Ranking --------------------------------------------------------------------------


@pytest.fixture
def isis(db):
    """Created in the reverse of the expected order, with names that sort the other way too."""
    FacilityFactory(slug="crisis", name="Crisis Centre")
    FacilityFactory(slug="isis-neutron", name="ISIS Neutron and Muon Source")
    FacilityFactory(slug="isis", name="ISIS")


def test_ranking_exact_then_prefix_then_substring_on_the_list(api, isis):
    assert slugs(api.get(FACILITIES, {"q": "isis"})) == ["isis", "isis-neutron", "crisis"]


def test_ranking_exact_then_prefix_then_substring_in_search(api, isis):
    results = api.get(SEARCH, {"q": "ISIS"}).json()["results"]
    assert [r["slug"] for r in results] == ["isis", "isis-neutron", "crisis"]
    scores = [r["score"] for r in results]
    assert scores[0] > scores[1] > scores[2]


def test_list_results_carry_their_score_with_q(api, isis):
    """The list's score is the cross-kind search's: exact 1.0 > prefix 0.8 > in a name 0.6."""
    results = api.get(FACILITIES, {"q": "isis"}).json()["results"]
    listed = {row["slug"]: row["score"] for row in results}
    searched = {
        row["slug"]: row["score"] for row in api.get(SEARCH, {"q": "isis"}).json()["results"]
    }
    assert listed == searched == {"isis": 1.01, "isis-neutron": 0.81, "crisis": 0.61}
    # With another ordering the score still says how well each matched.
    ordered = api.get(FACILITIES, {"q": "isis", "ordering": "name"}).json()["results"]
    assert [(row["slug"], row["score"]) for row in ordered] == [
        ("crisis", 0.61),
        ("isis", 1.01),
        ("isis-neutron", 0.81),
    ]


def test_without_q_no_score_and_the_same_bytes_after_a_search(api, isis, settings):
    """The score is of the request: never kept in the records' cached representations."""
    settings.RESPONSE_CACHE_SECONDS = 0  # every answer built from the representations
    plain = api.get(FACILITIES)
    assert all("score" not in row for row in plain.json()["results"])
    cache.clear()
    # The search renders the representations (its records annotated with their score) ...
    assert api.get(FACILITIES, {"q": "isis"}).json()["results"][0]["score"] == 1.01
    # ... which the plain list then reads from the cache: the same bytes as before.
    again = api.get(FACILITIES)
    assert again.content == plain.content


def test_an_explicit_ordering_overrides_the_ranking(api, isis):
    assert slugs(api.get(FACILITIES, {"q": "isis", "ordering": "-name"})) == [
        "isis-neutron",
        "isis",
        "crisis",
    ]


def test_multi_word_query_needs_every_word(api):
    """Words may come in any order, but all must be present."""
    FacilityFactory(slug="isis", name="ISIS Neutron and Muon Source")
    FacilityFactory(slug="ess", name="European Spallation Source")
    FacilityFactory(slug="psi", name="Swiss Muon Source")
    assert sorted(slugs(api.get(FACILITIES, {"q": "muon source"}))) == ["isis", "psi"]
    assert slugs(api.get(FACILITIES, {"q": "source neutron"})) == ["isis"]
    assert slugs(api.get(FACILITIES, {"q": "neutron spallation"})) == []
    assert slugs(api.get(SEARCH, {"q": "source neutron"})) == ["isis"]


# --- Cross-kind search ------------------------------------------------------------------


@pytest.fixture
def kek_everywhere(db):
    """A KEK institution (exact), facility (prefix) and programme (substring)."""
    ProgrammeFactory(slug="joint-kek", name="Joint KEK user programme", name_ja="共同利用")
    FacilityFactory(slug="kekb", name="KEKB Accelerator")
    InstitutionFactory(slug="kek", name="KEK", name_ja="高エネルギー加速器研究機構")


def test_cross_kind_search_gives_typed_results_best_first(api, kek_everywhere):
    response = api.get(SEARCH, {"q": "kek"})
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 3
    results = body["results"]
    assert [(r["kind"], r["slug"]) for r in results] == [
        ("institution", "kek"),
        ("facility", "kekb"),
        ("programme", "joint-kek"),
    ]
    first = results[0]
    assert {"kind", "slug", "name", "name_ja", "url", "score"} <= set(first)
    assert first["name"] == "KEK"
    assert first["name_ja"] == "高エネルギー加速器研究機構"
    assert first["url"] == "http://localhost/api/v1/institutions/kek/"
    assert results[1]["url"] == "http://localhost/api/v1/facilities/kekb/"
    assert results[2]["url"] == "http://localhost/api/v1/programmes/joint-kek/"
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]


def test_result_urls_resolve(api, kek_everywhere):
    for result in api.get(SEARCH, {"q": "kek"}).json()["results"]:
        assert api.get(result["url"]).status_code == HTTPStatus.OK


def test_kind_filter(api, kek_everywhere):
    assert slugs(api.get(SEARCH, {"q": "kek", "kind": "facility"})) == ["kekb"]
    both = api.get(SEARCH, {"q": "kek", "kind": "programme,institution"})
    assert slugs(both) == ["kek", "joint-kek"]
    assert both.json()["count"] == 2


def test_repeated_kind_values_mean_or(api, kek_everywhere):
    """kind=facility&kind=programme is the same as kind=facility,programme."""
    repeated = api.get(f"{SEARCH}?q=kek&kind=facility&kind=programme")
    assert slugs(repeated) == ["kekb", "joint-kek"]


def test_calls_are_searched_too(api):
    CallFactory(slug="kek-call-2026", name="KEK call 2026")
    results = api.get(SEARCH, {"q": "kek call"}).json()["results"]
    assert [(r["kind"], r["slug"]) for r in results] == [("call", "kek-call-2026")]
    assert results[0]["url"] == "http://localhost/api/v1/calls/kek-call-2026/"


def test_search_is_paginated(api):
    for number in range(5):
        FacilityFactory(slug=f"beamline-{number}", name=f"Beamline hall {number}")
    body = api.get(SEARCH, {"q": "beamline", "limit": "2", "offset": "2"}).json()
    assert body["count"] == 5
    assert [r["slug"] for r in body["results"]] == ["beamline-2", "beamline-3"]
    assert body["next"] is not None
    assert body["previous"] is not None


def test_offset_beyond_the_results_is_not_a_server_error(api, kek_everywhere):
    """An offset past the last result gives an empty page (or a 400), never a 500."""
    response = api.get(SEARCH, {"q": "kek", "offset": "99999999999999999999"})
    if response.status_code == HTTPStatus.BAD_REQUEST:
        assert "offset" in response.json()
    else:
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == []
    assert slugs(api.get(SEARCH, {"q": "kek", "offset": "3"})) == []


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "kek", "kind": "planet"}, "kind"),
        ({"q": "kek", "colour": "blue"}, "colour"),
        ({"q": "kek", "limit": "abc"}, "limit"),
        ({"q": "kek", "offset": "-5"}, "offset"),
        ({"q": "kek", "lang": "fr"}, "lang"),
    ],
)
def test_bad_search_requests_are_400(api, query, bad):
    response = api.get(SEARCH, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert bad in response.json()


def test_several_bad_search_parameters_are_all_named(api):
    """As on the lists, one 400 names every bad parameter, not only the first."""
    query = {"kind": "planet", "limit": "abc", "offset": "-5", "lang": "fr", "colour": "blue"}
    response = api.get(SEARCH, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert {"q", *query} <= set(response.json()), response.json()


# --- Visibility ---------------------------------------------------------------------------


@pytest.fixture
def drafts(db):
    """Unpublished records of each kind, and a published call of an unpublished programme."""
    FacilityFactory(slug="secret-facility", name="Secret Beamline", is_published=False)
    InstitutionFactory(slug="secret-institute", name="Secret Institute", is_published=False)
    hidden = ProgrammeFactory(slug="secret-programme", name="Secret Programme", is_published=False)
    CallFactory(slug="secret-call", name="Secret Call", programme=hidden)
    FacilityFactory(slug="public", name="Public Secretariat Hall")


def test_unpublished_records_never_reach_anonymous_users(api, drafts):
    assert slugs(api.get(SEARCH, {"q": "secret"})) == ["public"]
    assert slugs(api.get(FACILITIES, {"q": "secret"})) == ["public"]
    assert slugs(api.get("/api/v1/institutions/", {"q": "secret"})) == []
    assert slugs(api.get("/api/v1/programmes/", {"q": "secret"})) == []
    assert slugs(api.get("/api/v1/calls/", {"q": "secret"})) == []


def test_staff_see_unpublished_records(staff_api, drafts):
    found = {
        (r["kind"], r["slug"]) for r in staff_api.get(SEARCH, {"q": "secret"}).json()["results"]
    }
    assert found == {
        ("facility", "secret-facility"),
        ("institution", "secret-institute"),
        ("programme", "secret-programme"),
        ("call", "secret-call"),
        ("facility", "public"),
    }
    assert sorted(slugs(staff_api.get(FACILITIES, {"q": "secret"}))) == [
        "public",
        "secret-facility",
    ]


# --- Counted with the page ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "light"}, 8),
        ({"q": "light source", "ordering": "name"}, 7),  # not "Far Light"
        ({"near": "38.0,140.0", "radius_km": "500", "ordering": "distance"}, 7),
    ],
)
def test_a_search_page_carries_its_count_in_its_own_query(api, settings, query, expected):
    """q= and near= test every candidate row, so the page's query counts them too (one scan,
    not two): every page, the last, one past the end and a page of nothing say the same
    count and links as a separate COUNT(*) would."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.RESPONSE_CACHE_SECONDS = 0
    for n in range(7):
        FacilityFactory(name=f"Light Source {n}", latitude=38.0 + n / 10, longitude=140.0)
    FacilityFactory(name="Far Light", latitude=-30.0, longitude=20.0)
    for offset, rows in ((0, 3), (3, 3), (6, expected - 6), (expected, 0), (expected + 5, 0)):
        with CaptureQueriesContext(connection) as captured:
            body = api.get(FACILITIES, {**query, "limit": 3, "offset": offset}).json()
        assert body["count"] == expected, (offset, body)
        assert len(body["results"]) == rows
        counts = [q["sql"] for q in captured if q["sql"].upper().startswith("SELECT COUNT(")]
        past_the_end = offset >= expected
        assert len(counts) == (1 if past_the_end else 0), counts
        assert any(" OVER " in q["sql"].upper() for q in captured)
        if past_the_end:
            assert body["previous"] and body["next"] is None
    nothing = api.get(FACILITIES, {**query, "q": "zzzqqqxxx", "limit": 3}).json()
    assert nothing["count"] == 0 and nothing["results"] == []


def _counted_apart(query: dict) -> int:
    """The number of public facilities matching ``query``, counted by the selectors alone
    (its own COUNT, not the page's)."""
    from django.contrib.auth.models import AnonymousUser

    from directory import selectors
    from directory.models import Facility

    public = selectors.visible(Facility, AnonymousUser())
    if "q" in query:
        return selectors.search(public, query["q"]).count()
    lat, lon = (float(part) for part in query["near"].split(","))
    return selectors.within_radius(public, lat, lon, float(query["radius_km"])).count()


@pytest.mark.parametrize(
    "query",
    [
        {"q": "light"},
        {"q": "放射光"},
        {"near": "38.26,140.87", "radius_km": "800", "ordering": "distance"},
    ],
)
def test_on_the_seed_data_a_searched_page_counts_what_its_pages_hold(api, seed_data, query):
    """The seed path `make run` loads: the count a searched page carries in its own query is
    what a separate count finds, and the number of records its pages hold, page after page."""
    first = api.get(FACILITIES, {**query, "limit": 5}).json()
    assert first["count"] == _counted_apart(query) > 5
    seen = [row["slug"] for row in first["results"]]
    page = first
    while page["next"]:
        page = api.get(page["next"]).json()
        assert page["count"] == first["count"]
        seen.extend(row["slug"] for row in page["results"])
    assert first["count"] == len(seen) == len(set(seen))
