"""The feeds: call deadlines as iCalendar (/api/v1/calls.ics) and changes as Atom.

The .ics is read back with the icalendar package (one event per visible call, stable UIDs,
deadlines in the funder's time zone with a VTIMEZONE, the calls filters); the Atom feed with
feedparser (valid, newest first, links to the API, nothing about unpublished records).
"""

from __future__ import annotations

import datetime
import zoneinfo
from http import HTTPStatus

import feedparser
import icalendar
import pytest
from django.utils import timezone

from directory import services
from directory.models import FeedEntry
from tests.factories import (
    CallFactory,
    FacilityFactory,
    InstitutionFactory,
    ProgrammeFactory,
    delete,
    update,
)

pytestmark = pytest.mark.django_db

ICS = "/api/v1/calls.ics"
ATOM = "/feeds/changes.atom"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def calendar(client, **params) -> icalendar.Calendar:
    response = client.get(ICS, params)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(client, **params) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar(client, **params).events}


def days_from_now(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


@pytest.fixture
def calls(db):
    """Calls of a GB-JP and a JP-only programme, open, upcoming and closed, and drafts."""
    gb = ProgrammeFactory(slug="uk-japan", name="UK-Japan Fund", name_ja="日英基金")
    gb.countries.add("GB", "JP")
    jp = ProgrammeFactory(slug="jp-only", name="Japan Fund")
    jp.countries.add("JP")
    hidden_programme = ProgrammeFactory(slug="hidden-programme", is_published=False)
    today = timezone.localdate()
    CallFactory(
        slug="tokyo-2030",
        name="Tokyo call",
        name_ja="東京公募",
        programme=gb,
        closes_at=datetime.datetime(2030, 1, 31, 12, tzinfo=TOKYO),
        deadline_timezone="Asia/Tokyo",
        url="https://example.org/tokyo-call",
    )
    CallFactory(
        slug="london-2030",
        name="London call",
        programme=gb,
        closes_at=datetime.datetime(2030, 7, 1, 17, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        deadline_timezone="Europe/London",
    )
    CallFactory(slug="utc-open", programme=jp, closes_at=days_from_now(5), deadline_timezone="UTC")
    CallFactory(
        slug="upcoming",
        programme=jp,
        opens_on=today + datetime.timedelta(days=20),
        closes_at=days_from_now(40),
    )
    CallFactory(
        slug="closed",
        programme=gb,
        opens_on=today - datetime.timedelta(days=60),
        closes_at=days_from_now(-3),
    )
    CallFactory(slug="draft-call", name="Secret draft call", programme=gb, is_published=False)
    CallFactory(slug="call-of-hidden-programme", programme=hidden_programme)


# --- iCalendar ----------------------------------------------------------------------------


def test_one_event_per_visible_call_with_stable_uids(api, calls):
    first = events(api)
    assert set(first) == {
        "tokyo-2030@localhost",
        "london-2030@localhost",
        "utc-open@localhost",
        "upcoming@localhost",
        "closed@localhost",
    }
    second = events(api)
    assert set(second) == set(first)
    for uid, event in first.items():
        assert second[uid]["DTSTAMP"].dt == event["DTSTAMP"].dt  # the record's last revision
        assert second[uid]["DTSTART"].dt == event["DTSTART"].dt


def test_the_deadline_is_in_the_funders_time_zone(api, calls):
    cal = calendar(api)
    tokyo = {str(e["UID"]): e for e in cal.events}["tokyo-2030@localhost"]
    start = tokyo["DTSTART"]
    assert start.params["TZID"] == "Asia/Tokyo"
    assert start.dt == datetime.datetime(2030, 1, 31, 12, tzinfo=TOKYO)
    assert start.dt == datetime.datetime(2030, 1, 31, 3, tzinfo=datetime.UTC)  # same instant
    assert str(tokyo["SUMMARY"]) == "Deadline: Tokyo call"
    assert str(tokyo["URL"]) == "https://example.org/tokyo-call"
    assert "Programme: UK-Japan Fund" in str(tokyo["DESCRIPTION"])
    assert "http://localhost/api/v1/calls/tokyo-2030/" in str(tokyo["DESCRIPTION"])
    # A VTIMEZONE for each zone used; UTC needs none (its times end in Z).
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"Asia/Tokyo", "Europe/London"}
    assert cal.get_missing_tzids() == set()
    london = {str(e["UID"]): e for e in cal.events}["london-2030@localhost"]
    assert london["DTSTART"].dt.utcoffset() == datetime.timedelta(hours=1)  # BST in July
    assert london["DTSTART"].dt.astimezone(datetime.UTC).hour == 16
    raw = api.get(ICS).content.decode()
    assert "DTSTART;TZID=Asia/Tokyo:20300131T120000" in raw
    assert "BEGIN:VTIMEZONE" in raw


def test_the_vtimezone_itself_gives_the_right_instant(api, calls):
    """A client without a tz database resolves the TZID from the VTIMEZONE alone."""
    raw = api.get(ICS).content.decode()
    tokyo_rules = icalendar.Calendar.from_ical(raw).walk("VTIMEZONE")
    tokyo = next(tz for tz in tokyo_rules if str(tz["TZID"]) == "Asia/Tokyo")
    zone = tokyo.to_tz()
    local = datetime.datetime(2030, 1, 31, 12, tzinfo=zone)
    assert local.utcoffset() == datetime.timedelta(hours=9)


def test_japanese_summary_with_lang_ja(api, calls):
    tokyo = events(api, lang="ja")["tokyo-2030@localhost"]
    assert str(tokyo["SUMMARY"]) == "締切: 東京公募"
    assert "日英基金" in str(tokyo["DESCRIPTION"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, {"tokyo-2030", "london-2030", "utc-open"}),
        ({"status": "closed"}, {"closed"}),
        ({"status": "upcoming,closed"}, {"upcoming", "closed"}),
        ({"country": "GB"}, {"tokyo-2030", "london-2030", "closed"}),
        ({"country": "GB", "status": "open"}, {"tokyo-2030", "london-2030"}),
        ({"programme": "jp-only"}, {"utc-open", "upcoming"}),
        ({"q": "tokyo"}, {"tokyo-2030"}),
    ],
)
def test_the_calls_filters(api, calls, params, expected):
    found = {uid.split("@")[0] for uid in events(api, **params)}
    assert found == expected
    listed = api.get("/api/v1/calls/", {**params, "limit": 50}).json()["results"]
    assert found == {row["slug"] for row in listed}  # exactly what the JSON list shows


def test_unpublished_calls_never_appear(api, calls):
    raw = api.get(ICS).content.decode()
    assert "draft-call" not in raw
    assert "Secret draft call" not in raw
    assert "call-of-hidden-programme" not in raw


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "bogus"}, "status"),
        ({"country": "XX"}, "country"),
        ({"closes_before": "not-a-date"}, "closes_before"),
        ({"colour": "red"}, "colour"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(api, calls, params, parameter):
    response = api.get(ICS, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/json")
    assert parameter in response.json()


def test_an_empty_calendar_is_still_valid(api, db):
    cal = calendar(api)
    assert cal.events == []
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"])


def test_calendar_is_open_to_other_origins(api, calls):
    response = api.get(ICS, HTTP_ORIGIN="https://partner.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]


# --- Atom ---------------------------------------------------------------------------------


def atom(client):
    response = client.get(ATOM)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def test_atom_lists_creates_and_updates_newest_first(api, db):
    facility = FacilityFactory(slug="spring-8", name="SPring-8", name_ja="大型放射光施設")
    InstitutionFactory(slug="riken", name="RIKEN")
    update(facility, city="Sayo")
    parsed = atom(api)
    assert [entry.title for entry in parsed.entries] == [
        "Updated facility: SPring-8",
        "New institution: RIKEN",
        "New facility: SPring-8",
        "New source: Test source",  # the source the factories' records cite, made first
    ]
    first = parsed.entries[0]
    assert first.link == "http://localhost/api/v1/facilities/spring-8/"
    assert "大型放射光施設" in first.summary
    assert first.id.startswith("tag:localhost,2026:feed/")
    updated = [entry.updated_parsed for entry in parsed.entries]
    assert updated == sorted(updated, reverse=True)
    assert parsed.feed.updated_parsed == updated[0]
    assert parsed.feed.links[0].href == "http://localhost/api/v1/changes/"
    # The ids are the feed entries': the same on the next read.
    assert [e.id for e in atom(api).entries] == [e.id for e in parsed.entries]
    assert len({e.id for e in parsed.entries}) == 4


def test_atom_dates_are_the_change_times(api, db):
    facility = FacilityFactory(slug="dated")
    history = facility.history.latest()
    entry = atom(api).entries[0]
    parsed = datetime.datetime(*entry.updated_parsed[:6], tzinfo=datetime.UTC)
    assert parsed == history.history_date.replace(microsecond=0)
    # Exactly the write's time, not the (later) moment the feed was brought up to date.
    assert FeedEntry.objects.get(slug="dated").at == history.history_date


def test_atom_shows_nothing_of_unpublished_or_deleted_records(api, db):
    FacilityFactory(slug="draft", name="Secret Draft Facility", is_published=False)
    withdrawn = FacilityFactory(slug="withdrawn", name="Withdrawn Facility")
    services.record_unpublish(record=withdrawn)
    gone = FacilityFactory(slug="gone", name="Gone Facility")
    delete(gone)
    hidden = ProgrammeFactory(slug="hidden", is_published=False)
    CallFactory(slug="orphan", name="Call of a hidden programme", programme=hidden)
    FacilityFactory(slug="public", name="Public Facility")
    response = api.get(ATOM)
    body = response.content.decode()
    for secret in ("Secret Draft", "Withdrawn", "Gone Facility", "hidden programme", "orphan"):
        assert secret not in body
    assert [entry.title for entry in atom(api).entries] == [
        "New facility: Public Facility",
        "New source: Test source",  # the source the factories' records cite
    ]
