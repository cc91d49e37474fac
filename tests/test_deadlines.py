"""Call deadlines are typed and shown in the funder's time zone, and stored as the instant.

Issue 12, point 5: a deadline typed into the admin as 2027-01-31 12:00 with the zone
Asia/Tokyo was stored as 12:00 UTC, so partners saw 21:00 JST, nine hours late. Here: the rule
of ``directory.deadlines`` (DST gap refused, DST fold read as the earlier instant), then the
admin's add and change pages of a call and the call inline of a programme, each read back
through the API (JSON and the iCalendar feed) as partners read it.
"""

from __future__ import annotations

import datetime
import zoneinfo
from http import HTTPStatus

import icalendar
import pytest
from django.urls import reverse

from directory import deadlines
from directory.models import Call
from tests.factories import CallFactory, ProgrammeFactory, cited_source
from tests.test_history import form_data, page_text

UTC = datetime.UTC
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
LONDON = zoneinfo.ZoneInfo("Europe/London")
HELP_TEXT = "Local date and time in the deadline time zone, e.g. 2027-01-31 12:00 Asia/Tokyo"


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args)


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


# --- the rule: directory.deadlines ----------------------------------------------------------


@pytest.mark.parametrize(
    ("wall_clock", "zone", "instant"),
    [
        (local(2027, 1, 31, 12, 0), "Asia/Tokyo", utc(2027, 1, 31, 3, 0)),
        (local(2027, 1, 1, 0, 0), "Asia/Tokyo", utc(2026, 12, 31, 15, 0)),  # the day before
        (local(2027, 1, 15, 17, 0), "Europe/London", utc(2027, 1, 15, 17, 0)),  # GMT
        (local(2027, 7, 1, 17, 0), "Europe/London", utc(2027, 7, 1, 16, 0)),  # BST
        (local(2027, 3, 28, 0, 59), "Europe/London", utc(2027, 3, 28, 0, 59)),  # before the gap
        (local(2027, 3, 28, 2, 0), "Europe/London", utc(2027, 3, 28, 1, 0)),  # after the gap
        (local(2027, 1, 31, 12, 0), "UTC", utc(2027, 1, 31, 12, 0)),
        (local(2027, 1, 31, 17, 0), "America/New_York", utc(2027, 1, 31, 22, 0)),
    ],
)
def test_a_local_time_is_read_in_the_zones_rules_for_that_date(wall_clock, zone, instant):
    result = deadlines.deadline_instant(wall_clock, zone)
    assert result == instant
    assert result.utcoffset() == datetime.timedelta(0)
    assert deadlines.deadline_local(result, zone) == wall_clock


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_a_local_time_the_clocks_skip_is_refused(minute):
    # Europe/London goes from 01:00 GMT to 02:00 BST on 28 March 2027.
    with pytest.raises(deadlines.NonExistentLocalTime) as raised:
        deadlines.deadline_instant(local(2027, 3, 28, 1, minute), "Europe/London")
    assert isinstance(raised.value, ValueError)
    assert f"2027-03-28 01:{minute:02d} does not exist in Europe/London" in str(raised.value)


@pytest.mark.parametrize("fold", [0, 1])
def test_a_local_time_the_clocks_pass_twice_is_the_earlier_instant(fold):
    # Europe/London goes from 02:00 BST back to 01:00 GMT on 31 October 2027: 01:30 happens
    # at 00:30 UTC (BST) and again at 01:30 UTC (GMT). The stricter deadline is the first.
    wall_clock = local(2027, 10, 31, 1, 30).replace(fold=fold)
    assert deadlines.deadline_instant(wall_clock, "Europe/London") == utc(2027, 10, 31, 0, 30)
    # Both instants read back as 01:30 on the wall clock.
    assert deadlines.deadline_local(utc(2027, 10, 31, 0, 30), "Europe/London") == wall_clock
    assert deadlines.deadline_local(utc(2027, 10, 31, 1, 30), "Europe/London") == wall_clock


def test_deadline_local_is_naive_and_in_the_zone():
    shown = deadlines.deadline_local(datetime.datetime(2027, 1, 31, 12, tzinfo=TOKYO), "UTC")
    assert shown == local(2027, 1, 31, 3, 0)
    assert shown.tzinfo is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "JST"])
def test_an_unknown_zone_is_a_value_error_naming_it(name):
    with pytest.raises(deadlines.UnknownTimeZone, match="is not a time zone name"):
        deadlines.deadline_instant(local(2027, 1, 31, 12, 0), name)
    with pytest.raises(ValueError, match="is not a time zone name"):
        deadlines.deadline_local(utc(2027, 1, 31, 12, 0), name)


def test_instant_and_local_refuse_the_wrong_kind_of_datetime():
    with pytest.raises(ValueError, match="naive"):
        deadlines.deadline_instant(utc(2027, 1, 31, 12, 0), "Asia/Tokyo")
    with pytest.raises(ValueError, match="aware"):
        deadlines.deadline_local(local(2027, 1, 31, 12, 0), "Asia/Tokyo")


def test_localise_deadline_reads_naive_input_in_the_zone_and_keeps_aware_input():
    assert deadlines.localise_deadline(local(2027, 1, 31, 12, 0), "Asia/Tokyo") == utc(
        2027, 1, 31, 3, 0
    )
    aware = datetime.datetime(2027, 1, 31, 12, tzinfo=LONDON)
    assert deadlines.localise_deadline(aware, "Asia/Tokyo") is aware
    with pytest.raises(deadlines.NonExistentLocalTime):
        deadlines.localise_deadline(local(2027, 3, 28, 1, 30), "Europe/London")


def test_the_models_local_deadline_follows_the_same_rule():
    call = CallFactory.build(closes_at=utc(2027, 7, 1, 16, 0), deadline_timezone="Europe/London")
    assert call.closes_at_local.isoformat() == "2027-07-01T17:00:00+01:00"
    assert call.closes_at_local.replace(tzinfo=None) == deadlines.deadline_local(
        call.closes_at, call.deadline_timezone
    )


# --- the admin: a call's add and change pages -------------------------------------------------


ADD_URL = "admin:directory_call_add"


def change_url(call) -> str:
    return reverse("admin:directory_call_change", args=[call.pk])


def deadline_shown(page, prefix: str = "") -> tuple[str, str, str]:
    """The date, time and zone a page's form shows for a deadline, as a browser posts them."""
    data = form_data(page)
    return (
        data[f"{prefix}closes_at_0"][0],
        data[f"{prefix}closes_at_1"][0],
        data[f"{prefix}deadline_timezone"][0],
    )


def add_call(admin_client, programme, slug: str, day: str, time: str, zone: str):
    cited_source()  # the source the call's citation names
    page = admin_client.get(reverse(ADD_URL))
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    data.update(
        name=[f"Call {slug}"],
        slug=[slug],
        programme=[str(programme.pk)],
        closes_at_0=[day],
        closes_at_1=[time],
        deadline_timezone=[zone],
        sources=['[{"source": "test-source", "locator": "p. 1"}]'],
        is_published=["on"],
        _save=["Save"],
    )
    return admin_client.post(reverse(ADD_URL), data)


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == HTTPStatus.OK, "expected the form again, with errors"
    return {
        field: list(errors) for field, errors in response.context["adminform"].form.errors.items()
    }


@pytest.mark.django_db
def test_tokyo_deadline_typed_in_the_admin_is_stored_shown_served_and_in_the_calendar(
    admin_client, api
):
    programme = ProgrammeFactory()
    response = add_call(admin_client, programme, "tokyo", "2027-01-31", "12:00", "Asia/Tokyo")
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]

    call = Call.objects.get(slug="tokyo")
    assert call.closes_at == utc(2027, 1, 31, 3, 0)  # not 12:00 UTC (21:00 JST)

    # The change page shows it back as typed, in Tokyo time.
    page = admin_client.get(change_url(call))
    assert deadline_shown(page) == ("2027-01-31", "12:00:00", "Asia/Tokyo")
    assert HELP_TEXT in page_text(page)

    # Partners read the instant and the funder's wall-clock time.
    body = api.get(f"/api/v1/calls/{call.slug}/").json()
    assert body["closes_at"] == "2027-01-31T03:00:00Z"
    assert body["closes_at_local"] == "2027-01-31T12:00:00+09:00"
    assert body["deadline_timezone"] == "Asia/Tokyo"

    # The calendar feed has the event at 12:00 in Asia/Tokyo (with its VTIMEZONE).
    feed = api.get("/api/v1/calls.ics")
    assert feed.status_code == HTTPStatus.OK
    assert b"DTSTART;TZID=Asia/Tokyo:20270131T120000" in feed.content
    (event,) = icalendar.Calendar.from_ical(feed.content).events
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert event["DTSTART"].dt == datetime.datetime(2027, 1, 31, 12, tzinfo=TOKYO)

    # The add page says how the deadline is read.
    assert HELP_TEXT in page_text(admin_client.get(reverse(ADD_URL)))


@pytest.mark.django_db
def test_saving_the_change_page_unchanged_keeps_the_deadline(admin_client):
    call = CallFactory(closes_at=utc(2027, 1, 31, 3, 0), deadline_timezone="Asia/Tokyo")
    page = admin_client.get(change_url(call))
    data = form_data(page)
    data["_save"] = ["Save"]
    response = admin_client.post(change_url(call), data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call.refresh_from_db()
    assert call.closes_at == utc(2027, 1, 31, 3, 0)
    # The shown local time is the stored one: no version in the history moved the deadline.
    assert {version.closes_at for version in call.history.all()} == {utc(2027, 1, 31, 3, 0)}


@pytest.mark.django_db
def test_the_time_is_read_in_the_zone_submitted_with_it(admin_client):
    # The curator corrects the zone (and keeps the time): 12:00 is now London's 12:00.
    call = CallFactory(closes_at=utc(2027, 1, 31, 3, 0), deadline_timezone="Asia/Tokyo")
    page = admin_client.get(change_url(call))
    data = form_data(page)
    data.update(deadline_timezone=["Europe/London"], _save=["Save"])
    response = admin_client.post(change_url(call), data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call.refresh_from_db()
    assert call.closes_at == utc(2027, 1, 31, 12, 0)
    assert call.closes_at_local.isoformat() == "2027-01-31T12:00:00+00:00"
    page = admin_client.get(change_url(call))
    assert deadline_shown(page) == ("2027-01-31", "12:00:00", "Europe/London")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "time", "zone", "instant", "local_iso"),
    [
        ("2027-01-15", "17:00", "Europe/London", utc(2027, 1, 15, 17, 0), "+00:00"),  # GMT
        ("2027-07-01", "17:00", "Europe/London", utc(2027, 7, 1, 16, 0), "+01:00"),  # BST
        # 01:30 happens twice on 31 October 2027; the earlier (BST) instant is the deadline.
        ("2027-10-31", "01:30", "Europe/London", utc(2027, 10, 31, 0, 30), "+01:00"),
        ("2027-01-31", "12:00", "UTC", utc(2027, 1, 31, 12, 0), "+00:00"),
    ],
    ids=["london-winter", "london-summer", "london-autumn-fold", "utc"],
)
def test_london_across_daylight_saving_and_utc(
    admin_client, api, day, time, zone, instant, local_iso
):
    response = add_call(admin_client, ProgrammeFactory(), "deadline", day, time, zone)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call = Call.objects.get(slug="deadline")
    assert call.closes_at == instant
    page = admin_client.get(change_url(call))
    assert deadline_shown(page) == (day, f"{time}:00", zone)
    body = api.get(f"/api/v1/calls/{call.slug}/").json()
    assert body["closes_at"] == instant.isoformat().replace("+00:00", "Z")
    assert body["closes_at_local"] == f"{day}T{time}:00{local_iso}"


@pytest.mark.django_db
def test_a_time_the_clocks_skip_is_a_form_error_on_the_deadline(admin_client):
    response = add_call(
        admin_client, ProgrammeFactory(), "gap", "2027-03-28", "01:30", "Europe/London"
    )
    errors = form_errors(response)
    assert list(errors) == ["closes_at"]
    assert "2027-03-28 01:30 does not exist in Europe/London" in errors["closes_at"][0]
    assert "does not exist in Europe/London" in page_text(response)
    assert not Call.objects.filter(slug="gap").exists()
    # The curator's entry is shown again as typed, to correct.
    assert deadline_shown(response) == ("2027-03-28", "01:30", "Europe/London")


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Mars/Olympus", "Tokyo", "+09:00"])
def test_an_unknown_zone_is_a_form_error_on_the_zone(admin_client, zone):
    response = add_call(admin_client, ProgrammeFactory(), "nowhere", "2027-01-31", "12:00", zone)
    errors = form_errors(response)
    assert list(errors) == ["deadline_timezone"]
    assert errors["deadline_timezone"] == [
        f"{zone} is not a time zone name (expected e.g. Asia/Tokyo)."
    ]
    assert not Call.objects.filter(slug="nowhere").exists()


@pytest.mark.django_db
def test_the_history_form_shows_an_old_version_in_its_zone_and_reverts_to_it(admin_client):
    call = CallFactory(closes_at=utc(2027, 7, 1, 16, 0), deadline_timezone="Europe/London")
    version = call.history.first()
    data = form_data(admin_client.get(change_url(call)))
    data.update(closes_at_0=["2027-08-01"], _save=["Save"])
    response = admin_client.post(change_url(call), data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call.refresh_from_db()
    assert call.closes_at == utc(2027, 8, 1, 16, 0)

    revert_url = reverse("admin:directory_call_simple_history", args=[call.pk, version.history_id])
    page = admin_client.get(revert_url)
    assert page.status_code == HTTPStatus.OK
    assert deadline_shown(page) == ("2027-07-01", "17:00:00", "Europe/London")
    data = form_data(page)
    data["_save"] = ["Save"]
    response = admin_client.post(revert_url, data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call.refresh_from_db()
    assert call.closes_at == utc(2027, 7, 1, 16, 0)


# --- the admin: the call inline of a programme ------------------------------------------------


def programme_url(programme) -> str:
    return reverse("admin:directory_programme_change", args=[programme.pk])


def add_inline_call(admin_client, programme, day: str, time: str, zone: str):
    """Add a call through the programme's change page, as the "Add another Call" row does."""
    page = admin_client.get(programme_url(programme))
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    index = int(data["calls-TOTAL_FORMS"][0])
    row = f"calls-{index}-"
    data.update(
        {
            "calls-TOTAL_FORMS": [str(index + 1)],
            f"{row}id": [""],
            f"{row}programme": [str(programme.pk)],
            f"{row}name": ["Inline call"],
            f"{row}slug": ["inline-call"],
            f"{row}opens_on": [""],
            f"{row}closes_at_0": [day],
            f"{row}closes_at_1": [time],
            f"{row}deadline_timezone": [zone],
            f"{row}url": [""],
            "_save": ["Save"],
        }
    )
    return admin_client.post(programme_url(programme), data)


@pytest.mark.django_db
def test_a_call_added_in_the_programmes_inline_is_read_in_its_zone(admin_client):
    programme = ProgrammeFactory()
    response = add_inline_call(admin_client, programme, "2027-01-31", "12:00", "Asia/Tokyo")
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call = programme.calls.get(slug="inline-call")
    assert call.closes_at == utc(2027, 1, 31, 3, 0)

    # The programme page shows it back in Tokyo time, and saving it again changes nothing.
    page = admin_client.get(programme_url(programme))
    assert deadline_shown(page, prefix="calls-0-") == ("2027-01-31", "12:00:00", "Asia/Tokyo")
    assert HELP_TEXT in page.content.decode()
    data = form_data(page)
    data["_save"] = ["Save"]
    response = admin_client.post(programme_url(programme), data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    call.refresh_from_db()
    assert call.closes_at == utc(2027, 1, 31, 3, 0)
    assert {version.closes_at for version in call.history.all()} == {utc(2027, 1, 31, 3, 0)}


@pytest.mark.django_db
def test_the_inline_refuses_a_time_the_clocks_skip_and_an_unknown_zone(admin_client):
    programme = ProgrammeFactory()
    response = add_inline_call(admin_client, programme, "2027-03-28", "01:30", "Europe/London")
    assert response.status_code == HTTPStatus.OK
    (calls_formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "calls"
    ]
    assert "does not exist in Europe/London" in calls_formset.errors[0]["closes_at"][0]
    assert "does not exist in Europe/London" in page_text(response)

    response = add_inline_call(admin_client, programme, "2027-01-31", "12:00", "Asia/Tokio")
    assert response.status_code == HTTPStatus.OK
    (calls_formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "calls"
    ]
    assert list(calls_formset.errors[0]) == ["deadline_timezone"]
    assert not programme.calls.exists()


def test_a_call_imported_from_csv_reads_a_local_deadline_in_its_zone(admin_client):
    """The admin import reads a deadline as the form does, and exports it with its offset."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from directory.resources import CallResource

    ProgrammeFactory(slug="jst-ukri")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["slug", "name", "programme", "closes_at", "deadline_timezone", "sources"])
    writer.writerow(
        [
            "jst-ukri-2027",
            "JST-UKRI 2027",
            "jst-ukri",
            "2027-01-31 12:00",
            "Asia/Tokyo",
            '[{"source": "test-source", "locator": "p. 1"}]',
        ]
    )
    import_url = reverse("admin:directory_call_import")
    form = admin_client.get(import_url).context["form"]
    csv_format = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile("calls.csv", out.getvalue().encode(), "text/csv")
    page = admin_client.post(import_url, {"format": csv_format, "import_file": upload})
    assert "confirm_form" in page.context, page.content.decode()[:3000]
    response = admin_client.post(reverse("admin:directory_call_process_import"), form_data(page))
    assert response.status_code == HTTPStatus.FOUND

    call = Call.objects.get(slug="jst-ukri-2027")
    assert call.closes_at == datetime.datetime(2027, 1, 31, 3, 0, tzinfo=datetime.UTC)
    exported = CallResource().export(Call.objects.filter(pk=call.pk)).dict[0]
    assert exported["closes_at"] == "2027-01-31T12:00:00+09:00"
