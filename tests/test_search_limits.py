"""A search cannot be made expensive: q is bounded in length and in distinct words.

Every q (the lists, the embed widgets and the cross-kind /api/v1/search/) goes through
directory.search.search_terms: at most MAX_QUERY_LENGTH characters and MAX_QUERY_TERMS
different words, words folding alike counting once. A longer or wordier q is a 400 naming q
before any SQL is built; an accepted one holds a number of LIKE patterns (and similarity
computations) linear in its words, so bounded by the word limit.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.cross_search import SEARCHABLE_KINDS
from directory.search import MAX_QUERY_LENGTH, MAX_QUERY_TERMS, search_terms
from directory.selectors import has_places
from tests.factories import FacilityFactory, InstitutionFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

FACILITIES = "/api/v1/facilities/"
SEARCH = "/api/v1/search/"
WIDGET = "/embed/facilities/"

TOO_LONG = "x" * (MAX_QUERY_LENGTH + 1)
LONGEST = "x" * MAX_QUERY_LENGTH
#: Nine different words (well under the length limit).
TOO_MANY_WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india"
#: Eight different words.
MOST_WORDS = "alpha bravo charlie delta echo foxtrot golf hotel"
#: Twelve different words, none inside another.
NATO_ALPHABET = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima"
#: The abusive request: 1,900 one-letter words (3,799 characters).
ONE_LETTER_1900 = " ".join(["a"] * 1900)
#: The most one-letter words the length limit lets through (100 words, 199 characters).
ONE_LETTER_100 = " ".join(["s"] * ((MAX_QUERY_LENGTH + 1) // 2))

LENGTH_MESSAGE = f"at most {MAX_QUERY_LENGTH} characters"
WORDS_MESSAGE = f"at most {MAX_QUERY_TERMS} different words"


@pytest.fixture
def directory(db):
    FacilityFactory(slug="spring-8", name="SPring-8", aliases=["スプリングエイト"])
    FacilityFactory(slug="isis", name="ISIS Neutron and Muon Source")
    InstitutionFactory(slug="kek", name="KEK")
    ProgrammeFactory(slug="joint-kek", name="Joint KEK user programme")


#: LIKE patterns of a one-word q in one statement: the filter's "in the names" and "in the
#: place", and the ranking's exact, prefix, in-a-name and in-the-place tests.
LIKES_ONE_WORD = 6
#: LIKE patterns of the whole folded query in one statement when q has several words: the
#: filter's "in the names", the ranking's exact, prefix and in-a-name tests.
LIKES_WHOLE_QUERY = 4


def likes_per_kind(words: int, places: bool = True) -> int:
    """The LIKE patterns one kind of record tests in one statement for a q of ``words`` words
    (more than one): the whole query's, and for each word the filter's "in the names" (and
    "in the place") and the ranking's exact, prefix and in-a-name (and in-the-place) tests."""
    return LIKES_WHOLE_QUERY + (6 if places else 4) * words


#: The most LIKE patterns one kind of record may test in one statement: linear in the words,
#: which search_terms() caps at MAX_QUERY_TERMS (4 + 6 x 8 = 52).
LIKES_PER_KIND = likes_per_kind(MAX_QUERY_TERMS)
#: The most similarity computations (strict_word_similarity, on PostgreSQL each beside the
#: %>> operator the trigram index answers): the whole query's filter and ranking (3), and per
#: word its filter and ranking (3).
SIMILARITIES_PER_KIND = 3 + 3 * MAX_QUERY_TERMS


def similarities_per_statement(queries) -> list[int]:
    """strict_word_similarity calls in each captured SQL statement."""
    return [len(re.findall(r"\bstrict_word_similarity\(", query["sql"])) for query in queries]


def likes_per_statement(queries) -> list[int]:
    """LIKE patterns in each captured SQL statement."""
    return [len(re.findall(r"\bLIKE\b", query["sql"], re.IGNORECASE)) for query in queries]


def likes(queries) -> int:
    """LIKE patterns in the captured SQL."""
    return sum(likes_per_statement(queries))


def get_counting_likes(client, path, q):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"q": q})
    return response, likes(captured.captured_queries)


def assert_400_naming_q(response, message: str):
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert list(body) == ["q"], body
    assert len(body["q"]) == 1
    assert message in body["q"][0], body


# --- The rule ------------------------------------------------------------------------------


def test_search_terms_folds_splits_and_deduplicates():
    assert search_terms("  SPring-8  spring8 ＳＰＲＩＮＧ８ – nano Terasu ") == [
        "spring8",
        "nano",
        "terasu",
    ]
    assert search_terms(ONE_LETTER_100) == ["s"]
    assert search_terms("– — ・") == []
    assert search_terms(LONGEST) == [LONGEST]
    assert len(search_terms(MOST_WORDS)) == MAX_QUERY_TERMS


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (TOO_LONG, LENGTH_MESSAGE),
        (ONE_LETTER_1900, LENGTH_MESSAGE),
        (TOO_MANY_WORDS, WORDS_MESSAGE),
    ],
)
def test_search_terms_refuses_naming_the_limit(query, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        search_terms(query)


# --- The lists (q=) ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [FACILITIES, "/api/v1/institutions/", "/api/v1/calls/"])
def test_a_q_longer_than_the_limit_is_a_400_naming_q(api, directory, path):
    response, like_count = get_counting_likes(api, path, TOO_LONG)

    assert_400_naming_q(response, LENGTH_MESSAGE)
    assert like_count == 0
    assert api.get(path, {"q": LONGEST}).status_code == HTTPStatus.OK


def test_a_q_with_too_many_different_words_is_a_400_naming_q(api, directory):
    response, like_count = get_counting_likes(api, FACILITIES, TOO_MANY_WORDS)

    assert_400_naming_q(response, WORDS_MESSAGE)
    assert like_count == 0
    assert api.get(FACILITIES, {"q": MOST_WORDS}).status_code == HTTPStatus.OK


def test_the_400_names_q_alongside_the_other_bad_parameters(api, directory):
    response = api.get(FACILITIES, {"q": TOO_LONG, "country": "XX"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert set(body) == {"q", "country"}
    assert LENGTH_MESSAGE in body["q"][0]


def test_the_abusive_1900_one_letter_words_are_refused_before_any_sql(api, directory):
    """1,900 one-letter words (3,799 characters) once built 1,900 LIKEs per kind."""
    response, like_count = get_counting_likes(api, FACILITIES, ONE_LETTER_1900)

    assert_400_naming_q(response, LENGTH_MESSAGE)
    assert like_count == 0


def test_repeated_words_count_once_and_add_no_sql(api, directory, django_assert_max_num_queries):
    """A hundred times the same word is one term: the SQL is that of the word said twice."""
    with django_assert_max_num_queries(6):
        response, like_count = get_counting_likes(api, FACILITIES, ONE_LETTER_100)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["count"] == 2  # both facilities' names hold an "s"

    _twice, like_count_of_two_words = get_counting_likes(api, FACILITIES, "s s")
    # "ss" and its word "s": one statement (the page counts its matches itself:
    # api.pagination), with the filter's patterns and the ranking's.
    assert like_count == like_count_of_two_words == likes_per_kind(1)


def test_spellings_folding_alike_count_as_one_word(api, directory):
    query = " ".join(["SPring-8", "spring8", "ＳＰＲＩＮＧ８", "SPring–8", "s"] * 5)  # 25 words

    response = api.get(FACILITIES, {"q": query})

    assert response.status_code == HTTPStatus.OK, response.content
    assert [row["slug"] for row in response.json()["results"]] == ["spring-8"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("neutron neutr", ["isis"]),  # a word inside another adds no LIKE and no condition
        ("source muon neutron", ["isis"]),
        ("isisneutron", ["isis"]),
        # A combining mark after a space folds away in the whole query but not on its own:
        # the whole query still finds the record.
        ("neutron \u0301", ["isis"]),
        ("neutron spring8", []),
    ],
)
def test_the_bounded_condition_finds_what_the_words_find(api, directory, query, expected):
    response = api.get(FACILITIES, {"q": query})

    assert response.status_code == HTTPStatus.OK, response.content
    assert [row["slug"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize("words", range(1, MAX_QUERY_TERMS + 3))
def test_no_q_makes_a_statement_test_more_than_a_bounded_number_of_likes(api, words):
    """Up to eight words: a number of patterns linear in the words (likes_per_kind); more
    words are refused before any SQL."""
    FacilityFactory(slug="nato", name=f"{NATO_ALPHABET.title()} Laboratory")
    query = " ".join(NATO_ALPHABET.split()[:words])

    with CaptureQueriesContext(connection) as captured:
        response = api.get(FACILITIES, {"q": query})

    per_statement = likes_per_statement(captured.captured_queries)
    similarities = similarities_per_statement(captured.captured_queries)
    assert max(per_statement) <= LIKES_PER_KIND, per_statement
    assert max(similarities) <= SIMILARITIES_PER_KIND, similarities
    if words <= MAX_QUERY_TERMS:
        assert [row["slug"] for row in response.json()["results"]] == ["nato"]
        # The page query filters, then ranks: the exact count for this many words.
        assert max(per_statement) == (likes_per_kind(words) if words > 1 else LIKES_ONE_WORD)
        assert max(similarities) == (3 + 3 * words if words > 1 else 3)
    else:
        assert_400_naming_q(response, WORDS_MESSAGE)
        assert sum(per_statement) == sum(similarities) == 0


# --- The cross-kind search -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (TOO_LONG, LENGTH_MESSAGE),
        (ONE_LETTER_1900, LENGTH_MESSAGE),
        (TOO_MANY_WORDS, WORDS_MESSAGE),
    ],
)
def test_search_refuses_what_the_lists_refuse(api, directory, query, message):
    response, like_count = get_counting_likes(api, SEARCH, query)

    assert_400_naming_q(response, message)
    assert like_count == 0


def test_search_names_q_alongside_the_other_bad_parameters(api, directory):
    response = api.get(SEARCH, {"q": TOO_MANY_WORDS, "kind": "planet"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert set(body) == {"q", "kind"}
    assert WORDS_MESSAGE in body["q"][0]


def test_search_accepts_the_limits_and_repeated_words_add_no_sql(api, directory):
    assert api.get(SEARCH, {"q": LONGEST}).status_code == HTTPStatus.OK
    assert api.get(SEARCH, {"q": MOST_WORDS}).status_code == HTTPStatus.OK

    response, like_count = get_counting_likes(api, SEARCH, ONE_LETTER_100)
    assert response.status_code == HTTPStatus.OK, response.content
    _twice, like_count_of_two_words = get_counting_likes(api, SEARCH, "s s")
    assert like_count == like_count_of_two_words


@pytest.mark.parametrize("words", [1, MAX_QUERY_TERMS, MAX_QUERY_TERMS + 1, MAX_QUERY_TERMS + 2])
def test_search_holds_a_bounded_number_of_likes_per_kind(api, words):
    FacilityFactory(slug="nato", name=f"{NATO_ALPHABET.title()} Laboratory")
    query = " ".join(NATO_ALPHABET.split()[:words])

    with CaptureQueriesContext(connection) as captured:
        response = api.get(SEARCH, {"q": query})

    per_statement = likes_per_statement(captured.captured_queries)
    # The count and the page are each a union of the eight kinds (sources included), two of
    # them with places.
    assert len(SEARCHABLE_KINDS) == 8
    bound = sum(
        likes_per_kind(MAX_QUERY_TERMS, places=has_places(kind.model)) for kind in SEARCHABLE_KINDS
    )
    assert max(per_statement) <= bound, per_statement
    assert max(similarities_per_statement(captured.captured_queries)) <= (
        len(SEARCHABLE_KINDS) * SIMILARITIES_PER_KIND
    )
    if words <= MAX_QUERY_TERMS:
        assert [row["slug"] for row in response.json()["results"]] == ["nato"]
    else:
        assert_400_naming_q(response, WORDS_MESSAGE)


# --- The embed widgets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (TOO_LONG, LENGTH_MESSAGE),
        (ONE_LETTER_1900, LENGTH_MESSAGE),
        (TOO_MANY_WORDS, WORDS_MESSAGE),
    ],
)
@pytest.mark.parametrize("widget", ["facilities", "programmes", "calls"])
def test_widgets_answer_their_400_page_naming_q(client, directory, widget, query, message):
    response = client.get(f"/embed/{widget}/", {"q": query})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert re.findall(r"<dt>([^<]+)</dt>", html) == ["q"]
    assert message in html


def test_widgets_accept_repeated_words(client, directory):
    response = client.get(WIDGET, {"q": ONE_LETTER_100})

    assert response.status_code == HTTPStatus.OK
    assert "SPring-8" in response.content.decode()


@pytest.mark.parametrize("filterset", ["FacilityFilterSet", "InstitutionFilterSet"])
@pytest.mark.parametrize("query", ["tsukuba light", "sendai", "diamnd"])
def test_q_is_served_by_the_trigram_indexes_on_postgresql(directory, filterset, query):
    """Names and places are both searched through their trigram GIN indexes: with sequential
    scans priced out, the plan of a q= filter alone (without the publication rule, whose own
    partial index a small table would rather use) reads the table through them. An unindexed
    key in the OR would scan the whole table and compute every row's similarity."""
    if connection.vendor != "postgresql":
        pytest.skip("trigram GIN indexes are PostgreSQL's (SQLite scans, with the same results)")
    from directory import filtersets

    filterset_class = getattr(filtersets, filterset)
    model = filterset_class._meta.model
    found = filterset_class({"q": query}, queryset=model._base_manager.all()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = found.explain()
    table = model._meta.db_table
    assert f"Seq Scan on {table}" not in plan, plan
    assert f"{table}_search_trgm" in plan and f"{table}_place_trgm" in plan, plan
