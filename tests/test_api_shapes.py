"""Answer shapes (issue 16, item 6): numbers as numbers, no field that cannot apply, each
related institution once with its roles, filter values as the API shows them, a working url
on every related item, and JSON-LD stating only what the record holds."""

import datetime
from decimal import Decimal
from http import HTTPStatus

from directory import choices
from tests.factories import (
    AccessModeFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    citation,
    update,
)

FACILITIES = "/api/v1/facilities/"


def schema_component(api, name: str) -> dict:
    return api.get("/api/schema/?format=json").json()["components"]["schemas"][name]


# --- Numbers --------------------------------------------------------------------------------


def test_decimals_are_json_numbers(api):
    FacilityFactory(
        slug="ring",
        energy_gev=Decimal("3.000"),
        circumference_m=Decimal("349.0"),
        latitude=38.0,
        longitude=140.0,
    )
    ProgrammeFactory(slug="fund", total_budget=Decimal("1500000.50"), total_budget_currency="JPY")
    response = api.get(f"{FACILITIES}ring/")
    assert b'"energy_gev":3.0,' in response.content
    assert response.json()["circumference_m"] == 349.0
    assert api.get("/api/v1/programmes/fund/").json()["total_budget"] == 1500000.5
    listed = api.get(f"{FACILITIES}?fields=slug,energy_gev").json()["results"]
    assert listed == [{"slug": "ring", "energy_gev": 3.0}]
    # GeoJSON and JSON-LD encode them as numbers too; CSV keeps the exact digits.
    geojson = api.get(f"{FACILITIES}ring/?format=geojson").json()
    assert geojson["properties"]["energy_gev"] == 3.0
    assert b",3.000," in api.get(f"{FACILITIES}ring/?format=csv").content


def test_the_schema_states_the_numbers_and_their_precision(api):
    facility = schema_component(api, "Facility")["properties"]
    assert facility["energy_gev"]["type"] == "number"
    assert "3 decimal places" in facility["energy_gev"]["description"]
    assert "1 decimal places" in facility["circumference_m"]["description"]
    programme = schema_component(api, "Programme")["properties"]
    assert programme["total_budget"]["type"] == "number"


# --- Fields that cannot apply are left out ---------------------------------------------------


def test_a_precision_is_shown_only_with_its_date(api):
    ProgrammeFactory(slug="dated", starts_on=datetime.date(2021, 1, 1), starts_on_precision="year")
    ProgrammeFactory(slug="undated")
    dated = api.get("/api/v1/programmes/dated/").json()
    assert (dated["starts_on"], dated["starts_on_precision"]) == ("2021-01-01", "year")
    assert "ends_on_precision" not in dated and dated["ends_on"] is None
    undated = api.get("/api/v1/programmes/undated/").json()
    assert "starts_on_precision" not in undated and "ends_on_precision" not in undated
    facility = api.get(f"{FACILITIES}{FacilityFactory().slug}/").json()
    assert facility["closed_on"] is None and "closed_on_precision" not in facility
    described = schema_component(api, "Programme")["properties"]["starts_on_precision"]
    assert "only when `starts_on` is set" in described["description"]


def test_the_distance_is_documented_as_present_only_with_near(api):
    described = schema_component(api, "Facility")["properties"]["distance_km"]
    assert "only when `near` is given" in described["description"]


# --- Each related institution once, with its roles -------------------------------------------


def test_an_institution_with_two_roles_is_listed_once_with_both(api):
    facility = FacilityFactory(slug="ring")
    riken = InstitutionFactory(slug="riken", name="RIKEN")
    FacilityRoleFactory(facility=facility, institution=riken, role=choices.FacilityRoleKind.OWNER)
    FacilityRoleFactory(
        facility=facility, institution=riken, role=choices.FacilityRoleKind.OPERATOR
    )
    FacilityRoleFactory(facility=facility, institution=InstitutionFactory(slug="jasri"))
    institutions = api.get(f"{FACILITIES}ring/").json()["institutions"]
    assert [item["slug"] for item in institutions] == ["jasri", "riken"]
    riken_entry = institutions[1]
    assert [role["role"] for role in riken_entry["roles"]] == ["operator", "owner"]
    assert riken_entry["roles"][0] == {
        "role": "operator",
        "role_label": "Operator",
        "note": "",
        "needs_review": False,
    }
    assert riken_entry["url"] == "http://localhost/api/v1/institutions/riken/"
    # The other side: the facility once on the institution, with both roles.
    facilities = api.get("/api/v1/institutions/riken/").json()["facilities"]
    assert [(f["slug"], [r["role"] for r in f["roles"]]) for f in facilities] == [
        ("ring", ["operator", "owner"])
    ]
    # In Japanese the labels follow the language; in CSV one cell lists the roles.
    ja = api.get(f"{FACILITIES}ring/?lang=ja").json()["institutions"][1]["roles"]
    assert ja[0]["role_label"] != "Operator"
    assert "riken (operator, owner)" in api.get(f"{FACILITIES}ring/?format=csv").content.decode()
    role_brief = schema_component(api, "RoleBrief")["properties"]
    assert "roles" in role_brief and "role" not in role_brief


def test_a_programme_funder_with_two_roles_is_its_jsonld_funder_once(api):
    programme = ProgrammeFactory(slug="fund")
    jst = InstitutionFactory(slug="jst")
    ProgrammeRoleFactory(programme=programme, institution=jst)  # funder
    ProgrammeRoleFactory(
        programme=programme, institution=jst, role=choices.ProgrammeRoleKind.IMPLEMENTING_AGENCY
    )
    document = api.get("/api/v1/programmes/fund/?format=jsonld").json()
    assert [funder["@id"] for funder in document["funder"]] == [
        "http://localhost/api/v1/institutions/jst/"
    ]


# --- JSON-LD states only what the record holds ----------------------------------------------


def test_jsonld_public_access_only_from_a_recorded_access_mode(api):
    unknown = FacilityFactory(slug="unknown")
    FacilityRoleFactory(facility=unknown, institution=InstitutionFactory())
    open_ = FacilityFactory(slug="open", access_modes=[AccessModeFactory()])
    FacilityRoleFactory(facility=open_, institution=InstitutionFactory())
    assert "publicAccess" not in api.get(f"{FACILITIES}unknown/?format=jsonld").json()
    assert api.get(f"{FACILITIES}open/?format=jsonld").json()["publicAccess"] is True


def test_jsonld_cites_a_source_once_however_many_places_cite_it(api):
    facility = FacilityFactory(slug="ring")
    update(facility, sources=[citation(locator="line 15"), citation(locator="line 58")])
    assert len(api.get(f"{FACILITIES}ring/").json()["sources"]) == 2  # both places, in JSON
    document = api.get(f"{FACILITIES}ring/?format=jsonld").json()
    assert [work["@id"] for work in document["citation"]] == [
        "http://localhost/api/v1/sources/test-source/"
    ]


# --- Through the seed path -----------------------------------------------------------------


def test_on_the_seed_data(api, seed_data):
    spring8 = api.get(f"{FACILITIES}spring-8/").json()
    assert spring8["energy_gev"] == 8.0
    assert "distance_km" not in spring8 and "closed_on_precision" not in spring8
    # No access mode is recorded for SPring-8: JSON-LD says nothing of its public access.
    assert "publicAccess" not in api.get(f"{FACILITIES}spring-8/?format=jsonld").json()
    # Tohoku University hosts NanoTerasu and is a regional partner: one entry, two roles.
    nanoterasu = api.get(f"{FACILITIES}nanoterasu/").json()
    tohoku = [item for item in nanoterasu["institutions"] if item["slug"] == "tohoku-university"]
    assert len(tohoku) == 1
    assert {role["role"] for role in tohoku[0]["roles"]} == {"host", "regional_partner"}
    # Every related item has a url that answers; an access mode's lists its facilities.
    for item in [*nanoterasu["institutions"], *nanoterasu["access_modes"]]:
        assert api.get(item["url"]).status_code == HTTPStatus.OK, item["url"]
    peer_reviewed = [m for m in nanoterasu["access_modes"] if m["slug"] == "peer-reviewed-proposal"]
    listed = api.get(peer_reviewed[0]["url"]).json()["results"]
    assert "nanoterasu" in [row["slug"] for row in listed]
    # The B16 beamline cites one article at two lines: JSON-LD cites it once.
    b16 = api.get("/api/v1/instruments/diamond-b16/?format=jsonld").json()
    assert len(b16["citation"]) == 1
