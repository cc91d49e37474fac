"""The call list and detail: status computed at request time, deadline filters, filters through
the programme, default ordering by deadline, and visibility of calls of unpublished programmes."""

import datetime
from http import HTTPStatus

import pytest
from django.utils import timezone

from tests.factories import CallFactory, ProgrammeFactory, ResearchFieldFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/calls/"


def slugs(response) -> list[str]:
    """Slugs of a list response's results, in order (asserts a 200 first)."""
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["slug"] for row in response.json()["results"]]


def days_from_now(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def today_plus(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def three_calls(db):
    """One open, one upcoming and one closed call, relative to now."""
    CallFactory(slug="open", opens_on=today_plus(-10), closes_at=days_from_now(20))
    CallFactory(slug="upcoming", opens_on=today_plus(15), closes_at=days_from_now(60))
    CallFactory(slug="closed", opens_on=today_plus(-90), closes_at=days_from_now(-2))


# --- Status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", ["open"]),
        ("upcoming", ["upcoming"]),
        ("closed", ["closed"]),
        ("open,upcoming", ["open", "upcoming"]),
        ("closed,open", ["closed", "open"]),
    ],
)
def test_status_filter(api, three_calls, status, expected):
    assert slugs(api.get(URL, {"status": status})) == expected


def test_status_in_the_payload(api, three_calls):
    rows = {row["slug"]: row for row in api.get(URL).json()["results"]}
    assert {slug: row["status"] for slug, row in rows.items()} == {
        "open": "open",
        "upcoming": "upcoming",
        "closed": "closed",
    }
    assert rows["closed"]["status_label"] == "Closed"


def test_call_without_opening_date_is_open_until_its_deadline(api):
    CallFactory(slug="rolling", opens_on=None, closes_at=days_from_now(3))
    assert slugs(api.get(URL, {"status": "open"})) == ["rolling"]
    assert slugs(api.get(URL, {"status": "upcoming"})) == []


def test_status_is_computed_at_request_time(api, monkeypatch):
    """No write happens, yet a call closing in an hour reads closed once the clock passes it."""
    CallFactory(slug="closing", opens_on=today_plus(-5), closes_at=days_from_now(1 / 24))
    assert slugs(api.get(URL, {"status": "open"})) == ["closing"]
    assert api.get(f"{URL}closing/").json()["status"] == "open"

    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert slugs(api.get(URL, {"status": "open"})) == []
    assert slugs(api.get(URL, {"status": "closed"})) == ["closing"]
    assert api.get(f"{URL}closing/").json()["status"] == "closed"


@pytest.mark.parametrize("url", [URL, f"{URL}closing/", "/embed/calls/", "/api/v1/calls.ics"])
def test_answers_showing_a_status_stay_fresh_only_until_it_changes(api, monkeypatch, url):
    """Caches (HTTP and the response cache) never keep an "open" past its deadline."""
    CallFactory(slug="closing", opens_on=today_plus(-5), closes_at=timezone.now() + HALF_A_MINUTE)
    first = api.get(url)
    max_age = int(first["Cache-Control"].split("max-age=")[1])
    assert 0 < max_age <= HALF_A_MINUTE.seconds
    assert api.get(url)["X-Cache"] == "hit"

    later = timezone.now() + HALF_A_MINUTE
    monkeypatch.setattr(timezone, "now", lambda: later)
    after = api.get(url)
    assert after["X-Cache"] == "miss"
    assert after.content != first.content


HALF_A_MINUTE = datetime.timedelta(seconds=30)


# --- Deadline filters and ordering ------------------------------------------------------------


def test_closes_before_and_after(api):
    CallFactory(slug="march", closes_at=datetime.datetime(2030, 3, 1, 8, tzinfo=datetime.UTC))
    CallFactory(slug="june", closes_at=datetime.datetime(2030, 6, 1, 8, tzinfo=datetime.UTC))
    assert slugs(api.get(URL, {"closes_before": "2030-04-01"})) == ["march"]
    assert slugs(api.get(URL, {"closes_after": "2030-04-01"})) == ["june"]
    assert slugs(api.get(URL, {"closes_after": "2030-03-01T08:00:00Z"})) == ["march", "june"]
    assert slugs(api.get(URL, {"closes_before": "2030-03-01T08:00:00Z"})) == []
    window = {"closes_after": "2030-01-01", "closes_before": "2030-12-31"}
    assert slugs(api.get(URL, window)) == ["march", "june"]


def test_default_ordering_is_by_deadline(api):
    """Nearest deadline first, whatever the names or the creation order."""
    CallFactory(slug="c-late", name="A late call", closes_at=days_from_now(90))
    CallFactory(slug="c-soon", name="Z soon call", closes_at=days_from_now(3))
    CallFactory(
        slug="c-past", name="M past call", opens_on=today_plus(-60), closes_at=days_from_now(-30)
    )
    CallFactory(slug="c-mid", name="B mid call", closes_at=days_from_now(30))
    assert slugs(api.get(URL)) == ["c-past", "c-soon", "c-mid", "c-late"]


def test_explicit_ordering(api):
    CallFactory(slug="c-late", name="A late call", closes_at=days_from_now(90))
    CallFactory(slug="c-soon", name="Z soon call", closes_at=days_from_now(3))
    assert slugs(api.get(URL, {"ordering": "name"})) == ["c-late", "c-soon"]
    assert slugs(api.get(URL, {"ordering": "-closes_at"})) == ["c-late", "c-soon"]


# --- Filters through the programme --------------------------------------------------------


def test_programme_filter(api):
    wanted = ProgrammeFactory(slug="uk-japan")
    CallFactory(slug="first", programme=wanted, closes_at=days_from_now(10))
    CallFactory(slug="second", programme=wanted, closes_at=days_from_now(20))
    CallFactory(slug="elsewhere")
    assert slugs(api.get(URL, {"programme": "uk-japan"})) == ["first", "second"]
    body = api.get(f"{URL}first/").json()
    assert body["programme"]["slug"] == "uk-japan"
    assert body["programme"]["url"] == "http://localhost/api/v1/programmes/uk-japan/"


def test_field_filter_uses_the_programme_fields(api):
    quantum = ResearchFieldFactory(slug="quantum")
    programme = ProgrammeFactory()
    programme.fields.add(quantum, ResearchFieldFactory(slug="materials"))
    CallFactory(slug="quantum-call", programme=programme)
    CallFactory(slug="other-call")
    response = api.get(URL, {"field": "quantum,materials"})
    assert slugs(response) == ["quantum-call"]
    assert response.json()["count"] == 1


def test_country_filter_uses_the_programme_countries(api):
    gb_jp = ProgrammeFactory()
    gb_jp.countries.add("GB", "JP")
    fr = ProgrammeFactory()
    fr.countries.add("FR")
    CallFactory(slug="gb-jp-call", programme=gb_jp, closes_at=days_from_now(5))
    CallFactory(slug="fr-call", programme=fr, closes_at=days_from_now(6))
    CallFactory(slug="no-country-call", closes_at=days_from_now(7))
    response = api.get(URL, {"country": "JP,GB"})
    assert slugs(response) == ["gb-jp-call"]
    assert response.json()["count"] == 1
    assert slugs(api.get(f"{URL}?country=jp&country=fr")) == ["gb-jp-call", "fr-call"]


def test_status_combined_with_programme_filters(api, three_calls):
    quantum = ResearchFieldFactory(slug="quantum")
    programme = ProgrammeFactory()
    programme.fields.add(quantum)
    CallFactory(slug="quantum-open", programme=programme, closes_at=days_from_now(5))
    CallFactory(
        slug="quantum-closed",
        programme=programme,
        opens_on=today_plus(-40),
        closes_at=days_from_now(-5),
    )
    assert slugs(api.get(URL, {"status": "open", "field": "quantum"})) == ["quantum-open"]


# --- Visibility -----------------------------------------------------------------------------


def test_call_of_an_unpublished_programme_is_hidden_from_anonymous_users(api, staff_api):
    draft_programme = ProgrammeFactory(slug="draft-programme", is_published=False)
    CallFactory(slug="hidden", programme=draft_programme)
    CallFactory(slug="visible")
    assert slugs(api.get(URL)) == ["visible"]
    assert slugs(api.get(URL, {"programme": "draft-programme"})) == []
    assert api.get(f"{URL}hidden/").status_code == HTTPStatus.NOT_FOUND
    assert sorted(slugs(staff_api.get(URL))) == ["hidden", "visible"]
    assert staff_api.get(f"{URL}hidden/").status_code == HTTPStatus.OK


def test_unpublished_call_is_hidden_from_anonymous_users(api, staff_api):
    CallFactory(slug="draft-call", is_published=False)
    assert slugs(api.get(URL)) == []
    assert api.get(f"{URL}draft-call/").status_code == HTTPStatus.NOT_FOUND
    assert slugs(staff_api.get(URL)) == ["draft-call"]


# --- Bad values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"status": "pending"}, "status"),
        ({"status": "open,pending"}, "status"),
        ({"closes_before": "tomorrow"}, "closes_before"),
        ({"closes_after": "2030-02-30"}, "closes_after"),
        ({"closes_before": "2030-02-30T08:00:00"}, "closes_before"),
        ({"country": "XX"}, "country"),
        ({"programme": "not a slug"}, "programme"),
        ({"ordering": "budget"}, "ordering"),
        ({"offset": "-5"}, "offset"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_value_gives_400_naming_the_parameter(api, query, bad):
    response = api.get(URL, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert bad in response.json()
