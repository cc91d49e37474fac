"""The programme list and detail: filters on kind, funders, countries (OR and AND), dates
and calls, the open calls in the payload, and 400s for bad values."""

import datetime
from http import HTTPStatus

import pytest
from django.utils import timezone

from directory.choices import ProgrammeKind, ProgrammeRoleKind, ProgrammeStatus
from directory.models import Programme
from tests.factories import (
    CallFactory,
    FacilityFactory,
    InstitutionFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    ResearchFieldFactory,
    direct_writes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/"


def found(response) -> list[str]:
    """Sorted slugs of a list response's results (asserts a 200 first)."""
    assert response.status_code == HTTPStatus.OK, response.content
    return sorted(row["slug"] for row in response.json()["results"])


def days_from_now(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def today_plus(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def open_call(programme, **kwargs):
    """A call open now (opened ten days ago, closing in 30 days unless told otherwise)."""
    return CallFactory(programme=programme, **kwargs)


def upcoming_call(programme, **kwargs):
    kwargs.setdefault("closes_at", days_from_now(60))
    return CallFactory(programme=programme, opens_on=today_plus(10), **kwargs)


def closed_call(programme, **kwargs):
    kwargs.setdefault("closes_at", days_from_now(-1))
    return CallFactory(programme=programme, opens_on=today_plus(-60), **kwargs)


# --- Filters --------------------------------------------------------------------------


def test_list_shows_published_programmes_only(api, staff_api):
    ProgrammeFactory(slug="public")
    ProgrammeFactory(slug="draft", is_published=False)
    assert found(api.get(URL)) == ["public"]
    assert found(staff_api.get(URL)) == ["draft", "public"]


def test_q(api):
    ProgrammeFactory(slug="qleap", name="Q-LEAP", name_ja="光・量子飛躍フラッグシッププログラム")
    ProgrammeFactory(slug="horizon", name="Horizon Europe")
    assert found(api.get(URL, {"q": "qleap"})) == ["qleap"]
    assert found(api.get(URL, {"q": "量子飛躍"})) == ["qleap"]
    assert found(api.get(URL, {"q": "horizon"})) == ["horizon"]


def test_kind_and_status(api):
    ProgrammeFactory(slug="flagship", kind=ProgrammeKind.NATIONAL_FLAGSHIP)
    ProgrammeFactory(slug="mobility", kind=ProgrammeKind.MOBILITY)
    ProgrammeFactory(slug="ended", kind=ProgrammeKind.MOBILITY, status=ProgrammeStatus.CLOSED)
    assert found(api.get(URL, {"kind": "national_flagship"})) == ["flagship"]
    assert found(api.get(URL, {"kind": "national_flagship,mobility"})) == [
        "ended",
        "flagship",
        "mobility",
    ]
    assert found(api.get(URL, {"status": "closed"})) == ["ended"]
    assert found(api.get(URL, {"kind": "mobility", "status": "active"})) == ["mobility"]


def test_funder_matches_funders_not_partners(api):
    jst = InstitutionFactory(slug="jst")
    ProgrammeRoleFactory(programme=ProgrammeFactory(slug="funded"), institution=jst)
    ProgrammeRoleFactory(
        programme=ProgrammeFactory(slug="partnered"),
        institution=jst,
        role=ProgrammeRoleKind.PARTNER,
    )
    ProgrammeRoleFactory(programme=ProgrammeFactory(slug="other"))
    assert found(api.get(URL, {"funder": "jst"})) == ["funded"]


def test_country_means_any_of_the_countries(api):
    """country=GB,JP (or repeated) gives programmes involving GB or JP, each once."""
    ProgrammeFactory(slug="gb-jp").countries.add("GB", "JP")
    ProgrammeFactory(slug="jp").countries.add("JP")
    ProgrammeFactory(slug="fr").countries.add("FR")
    ProgrammeFactory(slug="none")
    response = api.get(URL, {"country": "GB,JP"})
    assert found(response) == ["gb-jp", "jp"]
    assert response.json()["count"] == 2
    assert found(api.get(f"{URL}?country=GB&country=JP")) == ["gb-jp", "jp"]
    assert found(api.get(URL, {"country": "fr"})) == ["fr"]


def test_country_all_means_every_country(api):
    """country_all=GB,JP keeps programmes involving both; a JP-only programme does not match."""
    ProgrammeFactory(slug="gb-jp").countries.add("GB", "JP")
    ProgrammeFactory(slug="gb-jp-fr").countries.add("GB", "JP", "FR")
    ProgrammeFactory(slug="jp").countries.add("JP")
    ProgrammeFactory(slug="gb").countries.add("GB")
    assert found(api.get(URL, {"country_all": "GB,JP"})) == ["gb-jp", "gb-jp-fr"]
    assert found(api.get(f"{URL}?country_all=GB&country_all=JP&country_all=FR")) == ["gb-jp-fr"]


def test_field(api):
    quantum = ResearchFieldFactory(slug="quantum")
    ProgrammeFactory(slug="q").fields.add(quantum)
    ProgrammeFactory(slug="bio").fields.add(ResearchFieldFactory(slug="biology"))
    assert found(api.get(URL, {"field": "quantum"})) == ["q"]
    assert found(api.get(URL, {"field": "quantum,biology"})) == ["bio", "q"]


def test_facility(api):
    spring8 = FacilityFactory(slug="spring-8")
    ProgrammeFactory(slug="access").facilities.add(spring8)
    ProgrammeFactory(slug="unrelated").facilities.add(FacilityFactory(slug="diamond"))
    assert found(api.get(URL, {"facility": "spring-8"})) == ["access"]


def test_active_on(api):
    """active_on keeps programmes running that day; an unknown start or end is open-ended."""
    ProgrammeFactory(
        slug="past", starts_on=datetime.date(2015, 1, 1), ends_on=datetime.date(2019, 12, 31)
    )
    ProgrammeFactory(
        slug="current", starts_on=datetime.date(2021, 1, 1), ends_on=datetime.date(2027, 12, 31)
    )
    ProgrammeFactory(slug="open-ended", starts_on=datetime.date(2018, 4, 1), ends_on=None)
    ProgrammeFactory(slug="undated")
    assert found(api.get(URL, {"active_on": "2024-06-01"})) == ["current", "open-ended", "undated"]
    assert found(api.get(URL, {"active_on": "2016-06-01"})) == ["past", "undated"]
    assert found(api.get(URL, {"active_on": "2019-12-31"})) == ["open-ended", "past", "undated"]


def test_active_on_with_year_precise_dates(api):
    """A programme that "runs 2021–2027" is active on every day of those years."""
    ProgrammeFactory(
        slug="2021-2027",
        starts_on=datetime.date(2021, 6, 15),
        starts_on_precision="year",
        ends_on=datetime.date(2027, 3, 1),
        ends_on_precision="year",
    )
    assert found(api.get(URL, {"active_on": "2021-01-01"})) == ["2021-2027"]
    assert found(api.get(URL, {"active_on": "2027-12-31"})) == ["2021-2027"]
    assert found(api.get(URL, {"active_on": "2028-01-01"})) == []


def test_has_open_call(api):
    """true: a call is open now; false: none is (upcoming or closed calls do not count)."""
    open_call(ProgrammeFactory(slug="open"))
    upcoming_call(ProgrammeFactory(slug="upcoming"))
    closed_call(ProgrammeFactory(slug="closed"))
    ProgrammeFactory(slug="no-calls")
    assert found(api.get(URL, {"has_open_call": "true"})) == ["open"]
    assert found(api.get(URL, {"has_open_call": "false"})) == ["closed", "no-calls", "upcoming"]


def test_has_open_call_ignores_unpublished_calls_for_anonymous_users(api, staff_api):
    open_call(ProgrammeFactory(slug="draft-call"), is_published=False)
    assert found(api.get(URL, {"has_open_call": "true"})) == []
    assert found(api.get(URL, {"has_open_call": "false"})) == ["draft-call"]
    assert found(staff_api.get(URL, {"has_open_call": "true"})) == ["draft-call"]


def test_deadline_before_and_after(api):
    open_call(ProgrammeFactory(slug="soon"), closes_at=days_from_now(10))
    open_call(ProgrammeFactory(slug="later"), closes_at=days_from_now(90))
    ProgrammeFactory(slug="no-calls")
    middle = today_plus(45).isoformat()
    assert found(api.get(URL, {"deadline_before": middle})) == ["soon"]
    assert found(api.get(URL, {"deadline_after": middle})) == ["later"]
    window = {"deadline_after": today_plus(5).isoformat(), "deadline_before": middle}
    assert found(api.get(URL, window)) == ["soon"]


def test_deadline_after_takes_a_date_time(api):
    deadline = datetime.datetime(2030, 3, 1, 8, 0, tzinfo=datetime.UTC)
    open_call(ProgrammeFactory(slug="p"), closes_at=deadline)
    assert found(api.get(URL, {"deadline_after": "2030-03-01T08:00:00Z"})) == ["p"]
    assert found(api.get(URL, {"deadline_after": "2030-03-01T08:00:01Z"})) == []
    assert found(api.get(URL, {"deadline_before": "2030-03-01T08:00:01Z"})) == ["p"]


def test_updated_since(api):
    ProgrammeFactory(slug="fresh")
    stale = ProgrammeFactory(slug="stale")
    with direct_writes():  # a record last changed in 2020
        Programme.objects.filter(pk=stale.pk).update(
            updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )
    assert found(api.get(URL, {"updated_since": "2021-01-01"})) == ["fresh"]
    assert found(api.get(URL, {"updated_since": "2019-12-31"})) == ["fresh", "stale"]


def test_filters_combine_with_and(api):
    quantum = ResearchFieldFactory(slug="quantum")
    match = ProgrammeFactory(slug="match", kind=ProgrammeKind.BILATERAL_CALL)
    match.countries.add("GB", "JP")
    match.fields.add(quantum)
    open_call(match)
    no_call = ProgrammeFactory(slug="no-call")
    no_call.countries.add("GB", "JP")
    no_call.fields.add(quantum)
    wrong_field = ProgrammeFactory(slug="wrong-field")
    wrong_field.countries.add("GB", "JP")
    open_call(wrong_field)
    query = {"country_all": "GB,JP", "field": "quantum", "has_open_call": "true"}
    assert found(api.get(URL, query)) == ["match"]


# --- Payload --------------------------------------------------------------------------


def test_open_calls_in_the_payload(api):
    """open_calls lists open and upcoming calls, nearest deadline first, never closed ones."""
    programme = ProgrammeFactory(slug="p")
    open_call(programme, slug="open-later", closes_at=days_from_now(40))
    open_call(programme, slug="open-soon", closes_at=days_from_now(5))
    upcoming_call(programme, slug="upcoming", closes_at=days_from_now(80))
    closed_call(programme, slug="closed")
    open_call(programme, slug="draft", is_published=False)
    for response in (api.get(f"{URL}p/"), api.get(URL)):
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        record = body if "slug" in body else body["results"][0]
        calls = record["open_calls"]
        assert [(c["slug"], c["status"]) for c in calls] == [
            ("open-soon", "open"),
            ("open-later", "open"),
            ("upcoming", "upcoming"),
        ]
        assert calls[0]["url"] == "http://localhost/api/v1/calls/open-soon/"
        assert calls[2]["opens_on"] == today_plus(10).isoformat()


def test_detail_carries_roles_countries_and_fields(api):
    programme = ProgrammeFactory(slug="uk-japan", name="UK–Japan call", name_ja="日英共同公募")
    ProgrammeRoleFactory(programme=programme, institution=InstitutionFactory(slug="ukri"))
    ProgrammeRoleFactory(
        programme=programme,
        institution=InstitutionFactory(slug="jst"),
        role=ProgrammeRoleKind.IMPLEMENTING_AGENCY,
    )
    programme.countries.add("GB", "JP")
    programme.fields.add(ResearchFieldFactory(slug="quantum"))
    body = api.get(f"{URL}uk-japan/").json()
    assert body["name_ja"] == "日英共同公募"
    assert sorted((i["slug"], r["role"]) for i in body["institutions"] for r in i["roles"]) == [
        ("jst", "implementing_agency"),
        ("ukri", "funder"),
    ]
    assert sorted(c["code"] for c in body["countries"]) == ["GB", "JP"]
    assert [f["slug"] for f in body["research_fields"]] == ["quantum"]


def test_unknown_slug_is_a_json_404(api):
    response = api.get(f"{URL}nothing/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "detail" in response.json()


# --- Bad values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"kind": "lottery"}, "kind"),
        ({"status": "dormant"}, "status"),
        ({"country": "XX"}, "country"),
        ({"country_all": "GB,XX"}, "country_all"),
        ({"funder": "no spaces allowed"}, "funder"),
        ({"active_on": "June"}, "active_on"),
        ({"active_on": "2024-02-30"}, "active_on"),
        ({"has_open_call": "maybe"}, "has_open_call"),
        ({"deadline_before": "soon"}, "deadline_before"),
        ({"deadline_after": "2024-99-01"}, "deadline_after"),
        ({"deadline_before": "2030-02-30T08:00:00"}, "deadline_before"),
        ({"updated_since": "last week"}, "updated_since"),
        ({"ordering": "budget"}, "ordering"),
        ({"energy_gev_min": "3"}, "energy_gev_min"),
        ({"limit": "abc"}, "limit"),
        ({"facets": "colour"}, "facets"),
        ({"fields": "slug,colour"}, "fields"),
    ],
)
def test_bad_value_gives_400_naming_the_parameter(api, query, bad):
    response = api.get(URL, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert bad in response.json()


def test_several_bad_values_are_all_named(api):
    query = {"country": "XX", "country_all": "YY", "has_open_call": "maybe", "active_on": "x"}
    response = api.get(URL, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(query) <= set(response.json())
