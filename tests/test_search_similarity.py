"""Typo tolerance, katakana digits and places: the pieces of search (directory.search,
directory.selectors) on their own and through the API.

* The strict word similarity SQLite computes (directory.search.strict_word_similarity,
  registered as an SQL function) is pg_trgm's: the same values as PostgreSQL's on known pairs
  (both databases), and on many generated pairs (PostgreSQL only, against the live pg_trgm).
* Digits written after katakana read as katakana (スプリング8 = スプリングエイト).
* A facility's place (city, site, country) is searched through its place key, which every
  write through the services keeps current and which never shows in the history, the
  changes feed or exports.
"""

from __future__ import annotations

import random
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory import services
from directory.models import Facility
from directory.search import (
    SIMILARITY_THRESHOLD,
    build_search_key,
    normalise,
    spell_katakana_digits,
    strict_word_similarity,
)
from tests.factories import FacilityFactory

FACILITIES = "/api/v1/facilities/"
SEARCH = "/api/v1/search/"

#: (query, text, pg_trgm 1.6's strict_word_similarity on PostgreSQL 15, as it prints it).
KNOWN_PAIRS = [
    ("diamnd", "|diamondlightsource|diamond|dls|", 0.5),
    ("sprng8", "|spring8|スプリングエイト|", 0.5),
    ("nanotersu", "|nanoterasu|ナノテラス|", 0.61538464),
    ("ptychografy", "|ptychography|", 0.5625),
    ("grenobel", "grenoble|france|フランス", 0.5),
    ("スプリングエト", "|spring8|スプリングエイト|", 0.54545456),
    ("ナノテラ", "|nanoterasu|ナノテラス|", 0.5714286),
    ("放射光施", "|大型放射光施設|", 0.18181819),
    ("word", "two words", 0.5714286),
    ("abc", "xyz", 0.0),
    ("a", "a", 1.0),
    ("ab cd", "abcd ab cd", 1.0),
    ("Spring_8", "spring 8", 1.0),
    ("", "spring8", 0.0),
]
#: pg_trgm answers in float4: what it prints has 8 significant digits.
FLOAT4 = 1e-7


def sql_similarity(query: str, text: str) -> float:
    """strict_word_similarity as the database computes it (pg_trgm, or the port on SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT strict_word_similarity(%s, %s)", [query, text])
        return float(cursor.fetchone()[0])


# --- The similarity --------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "text", "expected"), KNOWN_PAIRS)
def test_the_port_gives_pg_trgms_values(query, text, expected):
    assert strict_word_similarity(query, text) == pytest.approx(expected, abs=FLOAT4)


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "text", "expected"), KNOWN_PAIRS)
def test_the_database_gives_the_same_values(query, text, expected):
    """On SQLite the registered port, on PostgreSQL pg_trgm itself."""
    assert sql_similarity(query, text) == pytest.approx(expected, abs=FLOAT4)


def generated_pairs(count: int, seed: int = 16) -> list[tuple[str, str]]:
    """Pairs of short texts from a small alphabet (Latin, digits, katakana, kanji, spaces and
    punctuation), so that trigrams are often shared and words often bound."""
    alphabet = "abcdeio8 -|_スプリングナノ光施 "
    rng = random.Random(seed)

    def text(most: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, most)))

    return [(text(8), text(30)) for _ in range(count)]


@pytest.mark.django_db
def test_the_port_matches_postgresql_on_generated_pairs():
    if connection.vendor != "postgresql":
        pytest.skip("compares the port with pg_trgm: PostgreSQL only")
    pairs = generated_pairs(400)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strict_word_similarity(q, t) FROM unnest(%s::text[], %s::text[])"
            " WITH ORDINALITY AS p(q, t, n) ORDER BY n",
            [[query for query, _ in pairs], [text for _, text in pairs]],
        )
        expected = [float(value) for (value,) in cursor.fetchall()]
    found = [strict_word_similarity(query, text) for query, text in pairs]
    differing = [
        (pair, theirs, ours)
        for pair, theirs, ours in zip(pairs, expected, found, strict=True)
        if abs(theirs - ours) > FLOAT4
    ]
    assert not differing, differing
    assert len({round(value, 3) for value in expected}) > 10  # the pairs are not all alike


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "similar"), [("仙台", False), ("ab", False), ("仙台市", True)])
def test_spellings_are_looked_for_from_three_characters(api, query, similar):
    """A shorter word has no trigram: no index finds its spellings (on PostgreSQL the
    similarity of every row would be computed), so it is looked for as it is."""
    FacilityFactory(slug="ring", name="Test Ring", city="Sendai")

    with CaptureQueriesContext(connection) as captured:
        assert api.get(FACILITIES, {"q": query}).status_code == HTTPStatus.OK
    sql = " ".join(statement["sql"] for statement in captured.captured_queries)
    assert ("strict_word_similarity" in sql) is similar


# --- Katakana digits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("スプリング8", "スプリングエイト"),
        ("すぷりんぐ8", "スプリングエイト"),  # a word in hiragana is read as in katakana
        ("量子と2次元", "量子ト2次元"),  # a particle after kanji is not a kana word
        ("スプリングの8", "スプリングノエイト"),  # hiragana after katakana continues the word
        ("ｽﾌﾟﾘﾝｸﾞ８", "スプリングエイト"),  # half-width katakana, full-width digit
        ("スプリング・8", "スプリングエイト"),  # a middle dot between
        ("テスト10", "テストワンゼロ"),  # digit by digit
        ("SPring-8", "spring8"),  # after Latin letters a digit stays a digit
        ("第3期", "第3期"),  # after a kanji too
        ("8スプリング", "8スプリング"),  # before katakana too
    ],
)
def test_digits_after_katakana_read_as_katakana(text, expected):
    assert normalise(text) == expected


def test_spelling_digits_leaves_other_text_alone():
    assert spell_katakana_digits("") == ""
    assert spell_katakana_digits("abc123") == "abc123"
    assert spell_katakana_digits("ナノ") == "ナノ"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["スプリング8", "スプリングエイト", "sprng8", "SPring8"])
def test_katakana_digits_and_typos_find_the_facility(api, query):
    FacilityFactory(slug="spring-8", name="SPring-8", aliases=["スプリングエイト"])
    FacilityFactory(slug="sacla", name="SACLA", aliases=["サクラ"])

    for path in (FACILITIES, SEARCH):
        response = api.get(path, {"q": query})
        assert response.status_code == HTTPStatus.OK, response.content
        assert [row["slug"] for row in response.json()["results"]] == ["spring-8"], path


@pytest.mark.django_db
def test_a_typo_ranks_below_a_name_holding_the_word(api):
    """similar (0.2 + 0.2 x similarity) < in a name (0.6): "diamnd" vs a name holding it."""
    FacilityFactory(slug="diamond", name="Diamond Light Source", aliases=["Diamond"])
    FacilityFactory(slug="diamnd-lab", name="Diamnd Lab")

    results = api.get(FACILITIES, {"q": "diamnd"}).json()["results"]

    assert [row["slug"] for row in results] == ["diamnd-lab", "diamond"]
    similarity = strict_word_similarity("diamnd", build_search_key(["Diamond"]))
    assert similarity >= SIMILARITY_THRESHOLD
    assert results[1]["score"] == pytest.approx(0.2 + 0.2 * similarity, abs=1e-4)
    assert results[0]["score"] > 0.6


# --- Places ---------------------------------------------------------------------------------


@pytest.fixture
def ring(db):
    return FacilityFactory(slug="ring", name="Test Storage Ring", city="Sendai", site="Aobayama")


def slugs(api, query) -> list[str]:
    response = api.get(FACILITIES, {"q": query})
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_a_facility_is_found_by_its_city_site_and_country(api, ring):
    assert slugs(api, "sendai") == ["ring"]
    assert slugs(api, "aobayama") == ["ring"]
    assert slugs(api, "japan") == ["ring"]
    assert slugs(api, "日本") == ["ring"]
    assert slugs(api, "storage ring sendai") == ["ring"]
    results = api.get(FACILITIES, {"q": "sendai"}).json()["results"]
    assert results[0]["score"] == 0.4  # in the place: below any name


def test_a_city_changed_through_the_write_service_is_searched_at_once(api, ring, settings):
    # Each answer computed (that a city write invalidates the cached lists is
    # test_cache_invalidation's: the lists read the place fields).
    settings.RESPONSE_CACHE_SECONDS = 0
    assert slugs(api, "sendai") == ["ring"]

    services.record_update(record=ring, fields={"city": "Tokai"}, reason="Moved")

    ring.refresh_from_db()
    assert ring.place_key == build_search_key(["Tokai", "Aobayama", "Japan", "日本"])
    assert slugs(api, "tokai") == ["ring"]
    assert slugs(api, "sendai") == []
    assert slugs(api, "test ring tokai") == ["ring"]


def test_the_place_key_stays_out_of_history_feed_and_exports(api, staff_api, ring):
    services.record_update(record=ring, fields={"city": "Tokai"})

    entry = ring.history.latest()
    assert entry.place_key == build_search_key(["Tokai", "Aobayama", "Japan", "日本"])
    assert "place_key" not in entry.history_change_reason
    changes = api.get("/api/v1/changes/").json()["results"]
    assert changes and all("place_key" not in str(change) for change in changes)
    detail = staff_api.get(f"{FACILITIES}ring/").json()
    assert "place_key" not in detail and "search_key" not in detail
    assert not Facility.objects.filter(place_key__contains="sendai").exists()
