"""The facility list and detail: every filter alone, OR within a filter, AND across filters,
400s that name each bad parameter, pagination limits and the JSON 404."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone

from directory.choices import (
    AccessModeKind,
    FacilityKind,
    FacilityRoleKind,
    FacilityStatus,
)
from directory.models import Facility
from tests.factories import (
    AccessModeFactory,
    AgreementFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    InstrumentFactory,
    ProgrammeFactory,
    ResearchFieldFactory,
    TechniqueFactory,
    country,
    direct_writes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/facilities/"


def slugs(response) -> list[str]:
    """Slugs of a list response's results, in order (asserts a 200 first)."""
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["slug"] for row in response.json()["results"]]


def errors_of(response) -> dict:
    """The JSON body of a 400."""
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


# --- Each filter alone --------------------------------------------------------------


def test_list_without_filters_returns_published_facilities_by_name(api):
    """The plain list holds every published facility, ordered by name, with a count."""
    FacilityFactory(slug="b", name="Beta")
    FacilityFactory(slug="a", name="Alpha")
    FacilityFactory(slug="draft", name="Aardvark draft", is_published=False)
    response = api.get(URL)
    assert slugs(response) == ["a", "b"]
    assert response.json()["count"] == 2


def test_q_finds_by_name_acronym_and_alias(api):
    """q matches names, acronyms and aliases, not unrelated records."""
    FacilityFactory(slug="diamond", name="Diamond Light Source", acronym="DLS")
    FacilityFactory(slug="spring-8", name="SPring-8", aliases=["Super Photon ring"])
    FacilityFactory(slug="isis", name="ISIS Neutron and Muon Source")
    assert slugs(api.get(URL, {"q": "diamond"})) == ["diamond"]
    assert slugs(api.get(URL, {"q": "DLS"})) == ["diamond"]
    assert slugs(api.get(URL, {"q": "super photon"})) == ["spring-8"]
    assert slugs(api.get(URL, {"q": "nothing-like-this"})) == []


def test_country_filter(api):
    """country keeps facilities in that country; lower case codes are accepted."""
    FacilityFactory(slug="jp", country=country("JP"))
    FacilityFactory(slug="gb", country=country("GB"))
    assert slugs(api.get(URL, {"country": "GB"})) == ["gb"]
    assert slugs(api.get(URL, {"country": "gb"})) == ["gb"]


def test_kind_filter(api):
    FacilityFactory(slug="sync", kind=FacilityKind.SYNCHROTRON)
    FacilityFactory(slug="neutron", kind=FacilityKind.SPALLATION_NEUTRON)
    assert slugs(api.get(URL, {"kind": "spallation_neutron"})) == ["neutron"]


def test_status_filter(api):
    FacilityFactory(slug="running", status=FacilityStatus.OPERATIONAL)
    FacilityFactory(slug="building", status=FacilityStatus.UNDER_CONSTRUCTION)
    assert slugs(api.get(URL, {"status": "under_construction"})) == ["building"]


def test_operator_filter_counts_operators_and_co_operators_not_funders(api):
    """operator=<institution> finds facilities it operates or co-operates, not those it funds."""
    riken = InstitutionFactory(slug="riken")
    FacilityRoleFactory(facility=FacilityFactory(slug="operated"), institution=riken)
    FacilityRoleFactory(
        facility=FacilityFactory(slug="co-operated"),
        institution=riken,
        role=FacilityRoleKind.CO_OPERATOR,
    )
    FacilityRoleFactory(
        facility=FacilityFactory(slug="funded"), institution=riken, role=FacilityRoleKind.FUNDER
    )
    FacilityRoleFactory(facility=FacilityFactory(slug="other"))
    assert sorted(slugs(api.get(URL, {"operator": "riken"}))) == ["co-operated", "operated"]


def test_technique_filter(api):
    saxs = TechniqueFactory(slug="saxs")
    with_saxs = FacilityFactory(slug="with-saxs")
    with_saxs.techniques.add(saxs, TechniqueFactory(slug="xafs"))
    FacilityFactory(slug="without").techniques.add(TechniqueFactory(slug="sans"))
    assert slugs(api.get(URL, {"technique": "saxs"})) == ["with-saxs"]


def test_field_filter(api):
    quantum = ResearchFieldFactory(slug="quantum")
    FacilityFactory(slug="q").fields.add(quantum)
    FacilityFactory(slug="bio").fields.add(ResearchFieldFactory(slug="biology"))
    assert slugs(api.get(URL, {"field": "quantum"})) == ["q"]


def test_access_mode_filter(api):
    FacilityFactory(slug="open").access_modes.add(
        AccessModeFactory(kind=AccessModeKind.PEER_REVIEWED)
    )
    FacilityFactory(slug="paid").access_modes.add(
        AccessModeFactory(kind=AccessModeKind.PROPRIETARY)
    )
    FacilityFactory(slug="none")
    # By the slug the API shows in each facility's access_modes …
    assert slugs(api.get(URL, {"access_mode": "proprietary"})) == ["paid"]
    shown = api.get(f"{URL}paid/").json()["access_modes"]
    assert [mode["slug"] for mode in shown] == ["proprietary"]
    assert shown[0]["url"] == "http://localhost/api/v1/facilities/?access_mode=proprietary"
    assert slugs(api.get(shown[0]["url"])) == ["paid"]
    # … and by the older kind values, kept as aliases.
    assert slugs(api.get(URL, {"access_mode": "peer_reviewed"})) == ["open"]
    assert sorted(slugs(api.get(URL, {"access_mode": "peer-reviewed,proprietary"}))) == [
        "open",
        "paid",
    ]
    assert slugs(api.get(URL, {"access_mode": "no-such-mode"})) == []


def test_programme_filter(api):
    programme = ProgrammeFactory(slug="uk-japan")
    programme.facilities.add(FacilityFactory(slug="covered"))
    FacilityFactory(slug="not-covered")
    assert slugs(api.get(URL, {"programme": "uk-japan"})) == ["covered"]


def test_energy_range_filters(api):
    FacilityFactory(slug="low", energy_gev=Decimal("1.5"))
    FacilityFactory(slug="mid", energy_gev=Decimal("3.0"))
    FacilityFactory(slug="high", energy_gev=Decimal("8.0"))
    FacilityFactory(slug="unknown", energy_gev=None)
    assert sorted(slugs(api.get(URL, {"energy_gev_min": "3"}))) == ["high", "mid"]
    assert sorted(slugs(api.get(URL, {"energy_gev_max": "3.0"}))) == ["low", "mid"]
    assert slugs(api.get(URL, {"energy_gev_min": "2", "energy_gev_max": "5"})) == ["mid"]


def test_first_operation_year_range_filters(api):
    FacilityFactory(slug="old", first_operation_year=1985)
    FacilityFactory(slug="nineties", first_operation_year=1997)
    FacilityFactory(slug="new", first_operation_year=2024)
    assert sorted(slugs(api.get(URL, {"first_operation_year_min": "1997"}))) == ["new", "nineties"]
    assert sorted(slugs(api.get(URL, {"first_operation_year_max": "1997"}))) == ["nineties", "old"]
    both = {"first_operation_year_min": "1990", "first_operation_year_max": "2000"}
    assert slugs(api.get(URL, both)) == ["nineties"]


def test_near_keeps_facilities_within_radius_with_distance(api):
    """near+radius_km keeps facilities within the great-circle radius and adds distance_km."""
    FacilityFactory(slug="sendai", name="NanoTerasu", latitude=38.2572, longitude=140.8360)
    FacilityFactory(slug="harima", name="SPring-8", latitude=34.9480, longitude=134.4310)
    FacilityFactory(slug="no-coordinates", name="Somewhere")
    response = api.get(URL, {"near": "35.6812,139.7671", "radius_km": "500"})  # Tokyo station
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert set(rows) == {"sendai", "harima"}
    # Tokyo–Sendai is about 300 km, Tokyo–Harima about 480 km.
    assert 290 < rows["sendai"]["distance_km"] < 320
    assert 460 < rows["harima"]["distance_km"] < 500
    assert slugs(api.get(URL, {"near": "35.6812,139.7671", "radius_km": "400"})) == ["sendai"]


def test_without_near_distance_km_is_absent(api):
    facility = FacilityFactory(latitude=38.0, longitude=140.0)
    assert "distance_km" not in api.get(URL).json()["results"][0]
    assert "distance_km" not in api.get(f"{URL}{facility.slug}/").json()


def test_ordering_by_distance_puts_nearest_first(api):
    """ordering=distance sorts nearest first, -distance farthest first."""
    FacilityFactory(slug="far", name="A far", latitude=34.9480, longitude=134.4310)
    FacilityFactory(slug="near", name="Z near", latitude=36.0, longitude=140.0)
    FacilityFactory(slug="middle", name="M middle", latitude=38.2572, longitude=140.8360)
    around_tokyo = {"near": "35.6812,139.7671", "radius_km": "1000"}
    assert slugs(api.get(URL, {**around_tokyo, "ordering": "distance"})) == [
        "near",
        "middle",
        "far",
    ]
    assert slugs(api.get(URL, {**around_tokyo, "ordering": "-distance"})) == [
        "far",
        "middle",
        "near",
    ]


def test_near_finds_facilities_across_the_antimeridian(api):
    """A radius around 179°E reaches a facility at 179.5°W (about 111 km away)."""
    FacilityFactory(slug="fiji-east", latitude=-17.0, longitude=-179.5)
    FacilityFactory(slug="far-away", latitude=-17.0, longitude=170.0)
    response = api.get(URL, {"near": "-17,179.5", "radius_km": "200"})
    assert slugs(response) == ["fiji-east"]
    assert 100 < response.json()["results"][0]["distance_km"] < 110


def test_bbox_keeps_facilities_inside_the_box(api):
    """bbox is min_lon,min_lat,max_lon,max_lat."""
    FacilityFactory(slug="japan", latitude=38.2572, longitude=140.8360)
    FacilityFactory(slug="uk", latitude=51.5740, longitude=-1.3108)
    FacilityFactory(slug="no-coordinates")
    assert slugs(api.get(URL, {"bbox": "129,30,146,46"})) == ["japan"]
    assert slugs(api.get(URL, {"bbox": "-10,49,2,59"})) == ["uk"]


def test_bbox_crossing_the_antimeridian(api):
    """min_lon > max_lon is a box over the 180° line (RFC 7946 §5.2)."""
    FacilityFactory(slug="east-of-line", latitude=-17.0, longitude=178.0)
    FacilityFactory(slug="west-of-line", latitude=-14.0, longitude=-171.0)
    FacilityFactory(slug="greenwich", latitude=-15.0, longitude=0.0)
    FacilityFactory(slug="out-of-latitude", latitude=10.0, longitude=179.0)
    found = slugs(api.get(URL, {"bbox": "170,-20,-170,-10"}))
    assert sorted(found) == ["east-of-line", "west-of-line"]


def test_updated_since_filter(api):
    """updated_since takes a date (midnight UTC) or a date-time."""
    FacilityFactory(slug="fresh")
    stale = FacilityFactory(slug="stale")
    with direct_writes():  # a record last changed in 2020
        Facility.objects.filter(pk=stale.pk).update(
            updated_at=datetime.datetime(2020, 1, 1, 12, tzinfo=datetime.UTC)
        )
    assert slugs(api.get(URL, {"updated_since": "2021-01-01"})) == ["fresh"]
    assert sorted(slugs(api.get(URL, {"updated_since": "2020-01-01T12:00:00Z"}))) == [
        "fresh",
        "stale",
    ]
    assert slugs(api.get(URL, {"updated_since": "2020-01-01T12:00:01+00:00"})) == ["fresh"]
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    assert slugs(api.get(URL, {"updated_since": tomorrow})) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["a", "b", "c"]),
        ("-name", ["c", "b", "a"]),
        ("energy_gev", ["b", "c", "a"]),
        ("-first_operation_year", ["c", "a", "b"]),
        ("country,-name", ["c", "b", "a"]),
    ],
)
def test_ordering(api, ordering, expected):
    FacilityFactory(
        slug="a", name="A", energy_gev=Decimal(8), first_operation_year=1997, country=country("JP")
    )
    FacilityFactory(
        slug="b", name="B", energy_gev=Decimal(1), first_operation_year=1990, country=country("GB")
    )
    FacilityFactory(
        slug="c", name="C", energy_gev=Decimal(3), first_operation_year=2024, country=country("FR")
    )
    assert slugs(api.get(URL, {"ordering": ordering})) == expected


# --- Several values: OR; several filters: AND ------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "country=GB,FR",
        "country=GB&country=FR",
        "country=GB,FR&country=FR",
    ],
)
def test_several_values_of_one_filter_mean_or(api, query):
    """Comma-separated and repeated values are alternatives."""
    FacilityFactory(slug="gb", country=country("GB"))
    FacilityFactory(slug="fr", country=country("FR"))
    FacilityFactory(slug="jp", country=country("JP"))
    assert sorted(slugs(api.get(f"{URL}?{query}"))) == ["fr", "gb"]


def test_or_within_relation_filters_gives_no_duplicates(api):
    """A facility offering two of the asked techniques is listed once."""
    saxs, xafs = TechniqueFactory(slug="saxs"), TechniqueFactory(slug="xafs")
    FacilityFactory(slug="both").techniques.add(saxs, xafs)
    FacilityFactory(slug="one").techniques.add(xafs)
    FacilityFactory(slug="neither")
    response = api.get(URL, {"technique": "saxs,xafs"})
    assert sorted(slugs(response)) == ["both", "one"]
    assert response.json()["count"] == 2
    assert sorted(slugs(api.get(f"{URL}?kind=synchrotron&kind=xfel&technique=xafs"))) == [
        "both",
        "one",
    ]


def test_several_filters_combine_with_and(api):
    """country, kind, status, technique and energy together narrow to one facility."""
    saxs = TechniqueFactory(slug="saxs")
    match = FacilityFactory(
        slug="match", country=country("GB"), kind=FacilityKind.SYNCHROTRON, energy_gev=3
    )
    match.techniques.add(saxs)
    wrong_country = FacilityFactory(slug="wrong-country", country=country("JP"))
    wrong_country.techniques.add(saxs)
    FacilityFactory(slug="no-technique", country=country("GB"))
    wrong_kind = FacilityFactory(
        slug="wrong-kind", country=country("GB"), kind=FacilityKind.SPALLATION_NEUTRON
    )
    wrong_kind.techniques.add(saxs)
    too_weak = FacilityFactory(slug="too-weak", country=country("GB"), energy_gev=1)
    too_weak.techniques.add(saxs)
    query = {
        "country": "GB,FR",
        "kind": "synchrotron",
        "status": "operational",
        "technique": "saxs",
        "energy_gev_min": "2",
    }
    assert slugs(api.get(URL, query)) == ["match"]


def test_q_combined_with_geography_and_kind(api):
    FacilityFactory(slug="target", name="Photon Factory", latitude=36.05, longitude=140.08)
    FacilityFactory(slug="far", name="Photon Source West", latitude=51.57, longitude=-1.31)
    FacilityFactory(
        slug="neutron",
        name="Photon Neutron Hall",
        kind=FacilityKind.SPALLATION_NEUTRON,
        latitude=36.45,
        longitude=140.6,
    )
    query = {"q": "photon", "bbox": "129,30,146,46", "kind": "synchrotron"}
    assert slugs(api.get(URL, query)) == ["target"]


# --- Bad values: 400 naming each parameter ------------------------------------------------


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "GB,XX"}, "country"),
        ({"kind": "cyclotron"}, "kind"),
        ({"status": "sleeping"}, "status"),
        ({"access_mode": "free access!"}, "access_mode"),
        ({"technique": "not a slug!"}, "technique"),
        ({"energy_gev_min": "lots"}, "energy_gev_min"),
        ({"first_operation_year_max": "last year"}, "first_operation_year_max"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2024-13-01"}, "updated_since"),
        ({"updated_since": "2024-02-30T10:00:00"}, "updated_since"),
        ({"updated_since": "2024-01-01T10:00:00+25:00"}, "updated_since"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "129,46,146,30"}, "bbox"),
        ({"bbox": "200,30,146,46"}, "bbox"),
        ({"near": "95,140"}, "near"),
        ({"near": "35.6,139.7"}, "radius_km"),
        ({"radius_km": "50"}, "near"),
        ({"near": "35.6,139.7", "radius_km": "-1"}, "radius_km"),
        ({"near": "35.6,139.7", "radius_km": "far"}, "radius_km"),
        ({"ordering": "distance"}, "ordering"),
        ({"ordering": "price"}, "ordering"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"offset": "-5"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"colour": "blue"}, "colour"),
        ({"facets": "colour"}, "facets"),
        ({"fields": "slug,colour"}, "fields"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_bad_value_gives_400_naming_the_parameter(api, query, bad):
    FacilityFactory()
    body = errors_of(api.get(URL, query))
    assert bad in body, body
    assert all(isinstance(message, str) for message in body[bad])


def test_several_bad_parameters_are_all_named(api):
    """One answer lists every problem, not only the first."""
    query = {
        "country": "XX",
        "updated_since": "not-a-date",
        "bbox": "1,2",
        "limit": "abc",
        "offset": "-5",
        "colour": "blue",
        "facets": "colour",
        "fields": "colour",
    }
    body = errors_of(api.get(URL, query))
    assert set(query) <= set(body), body


def test_unknown_country_message_mentions_the_value(api):
    body = errors_of(api.get(URL, {"country": "XX"}))
    assert "XX" in body["country"][0]


# --- Pagination ---------------------------------------------------------------------------


def test_limit_above_200_is_a_400_naming_the_maximum(api):
    """One rule for limit (1 to 200): 500 is refused like 0, never silently capped."""
    FacilityFactory.create_batch(2)
    for value in ("500", "201", "0"):
        response = api.get(URL, {"limit": value})
        assert response.status_code == 400
        assert response.json() == {"limit": ["limit must be an integer from 1 to 200."]}
    assert len(api.get(URL, {"limit": "200"}).json()["results"]) == 2


def test_default_page_size_and_offset(api):
    for number in range(25):
        FacilityFactory(slug=f"f-{number:02d}", name=f"F {number:02d}")
    first = api.get(URL).json()
    assert len(first["results"]) == 20
    assert first["previous"] is None
    second = api.get(URL, {"limit": "10", "offset": "20"}).json()
    assert [row["slug"] for row in second["results"]] == [f"f-{n:02d}" for n in range(20, 25)]
    assert second["next"] is None


# --- Detail -------------------------------------------------------------------------------


def test_detail_by_slug_with_related_records(api):
    """The detail carries related records in brief, including the detail-only summaries."""
    facility = FacilityFactory(slug="diamond", name="Diamond Light Source", country=country("GB"))
    FacilityRoleFactory(facility=facility, institution=InstitutionFactory(slug="stfc"))
    ProgrammeFactory(slug="access").facilities.add(facility)
    response = api.get(f"{URL}diamond/")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["slug"] == "diamond"
    assert body["name"] == "Diamond Light Source"
    assert body["country"] == "GB"
    assert body["url"] == "http://localhost/api/v1/facilities/diamond/"
    assert [(i["slug"], [r["role"] for r in i["roles"]]) for i in body["institutions"]] == [
        ("stfc", ["operator"])
    ]
    assert [p["slug"] for p in body["programmes"]] == ["access"]


def test_detail_hides_unpublished_related_records(api):
    facility = FacilityFactory(slug="diamond")
    FacilityRoleFactory(facility=facility, institution=InstitutionFactory(slug="public"))
    FacilityRoleFactory(
        facility=facility, institution=InstitutionFactory(slug="secret", is_published=False)
    )
    body = api.get(f"{URL}diamond/").json()
    assert [i["slug"] for i in body["institutions"]] == ["public"]


def test_every_related_summary_hides_drafts_from_the_public_and_shows_them_to_staff(api, staff_api):
    facility = FacilityFactory(slug="diamond")
    for published in (True, False):
        name = "public" if published else "draft"
        FacilityRoleFactory(
            facility=facility,
            institution=InstitutionFactory(slug=f"{name}-institution", is_published=published),
        )
        facility.techniques.add(TechniqueFactory(slug=f"{name}-technique", is_published=published))
        access_kind = AccessModeKind.values[0 if published else 1]
        facility.access_modes.add(
            AccessModeFactory(kind=access_kind, slug=f"{name}-access", is_published=published)
        )
        facility.fields.add(ResearchFieldFactory(slug=f"{name}-field", is_published=published))
        InstrumentFactory(facility=facility, slug=f"{name}-instrument", is_published=published)
        ProgrammeFactory(slug=f"{name}-programme", is_published=published).facilities.add(facility)
        AgreementFactory(slug=f"{name}-agreement", is_published=published).facilities.add(facility)
    relations = [
        "institutions",
        "techniques",
        "access_modes",
        "research_fields",
        "instruments",
        "programmes",
        "agreements",
    ]
    public = api.get(f"{URL}diamond/").json()
    staff = staff_api.get(f"{URL}diamond/").json()
    listed = api.get(f"{URL}?fields=slug,institutions,techniques,access_modes").json()
    for relation in relations:
        assert [brief["slug"].split("-")[0] for brief in public[relation]] == ["public"], relation
        assert sorted(brief["slug"].split("-")[0] for brief in staff[relation]) == [
            "draft",
            "public",
        ], relation
    for relation in ("institutions", "techniques", "access_modes"):
        assert len(listed["results"][0][relation]) == 1, relation


def test_unknown_slug_is_a_json_404(api):
    response = api.get(f"{URL}no-such-facility/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_unpublished_detail_is_404_for_anonymous_but_visible_to_staff(api, staff_api):
    FacilityFactory(slug="draft", is_published=False)
    assert api.get(f"{URL}draft/").status_code == HTTPStatus.NOT_FOUND
    assert staff_api.get(f"{URL}draft/").status_code == HTTPStatus.OK
    assert slugs(staff_api.get(URL)) == ["draft"]


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-resource/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
