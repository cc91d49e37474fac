"""Every list and detail endpoint runs a constant, small number of SQL queries.

A page of 1 and a page of 200 cost the same, and never more than MAX_QUERIES.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.countries import countries_by_code
from tests.factories import (
    AccessModeFactory,
    AgreementFactory,
    CallFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    InstrumentFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    ResearchFieldFactory,
    TechniqueFactory,
)

pytestmark = pytest.mark.django_db

MAX_QUERIES = 6


def populate(n: int) -> None:
    """n records of every kind, each linked to the others like real records are."""
    technique = TechniqueFactory()
    field = ResearchFieldFactory()
    access = AccessModeFactory()
    parent = InstitutionFactory()
    for _ in range(n):
        institution = InstitutionFactory(parent=parent, latitude=35.0, longitude=139.0)
        facility = FacilityFactory(latitude=38.0, longitude=140.0)
        facility.techniques.add(technique)
        facility.fields.add(field)
        facility.access_modes.add(access)
        FacilityRoleFactory(facility=facility, institution=institution)
        InstrumentFactory(facility=facility)
        programme = ProgrammeFactory()
        programme.countries.add("JP", "GB")
        programme.fields.add(field)
        programme.facilities.add(facility)
        ProgrammeRoleFactory(programme=programme, institution=institution)
        CallFactory(programme=programme)
        CallFactory(
            programme=programme,
            opens_on=None,
            closes_at=timezone.now() - datetime.timedelta(days=3),
        )
        agreement = AgreementFactory()
        agreement.institutions.add(institution)
        agreement.facilities.add(facility)


LISTS = [
    "/api/v1/facilities/",
    "/api/v1/facilities/?near=38,140&radius_km=100&ordering=distance",
    "/api/v1/facilities/?q=light&country=JP&kind=synchrotron",
    "/api/v1/facilities/?format=csv",
    "/api/v1/facilities/?format=geojson",
    "/api/v1/programmes/",
    "/api/v1/programmes/?has_open_call=true&country_all=GB,JP",
    "/api/v1/calls/",
    "/api/v1/calls/?status=open",
    "/api/v1/institutions/",
    "/api/v1/institutions/?role=operator&facility_kind=synchrotron",
    "/api/v1/agreements/",
    "/api/v1/techniques/",
    "/api/v1/fields/",
    "/api/v1/search/?q=record",
]


def count_queries(client, url: str) -> int:
    countries_by_code()  # loaded once per process, not per request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def page(url: str, limit: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}limit={limit}"


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_do_not_grow_with_page_size(api, url):
    populate(1)
    one = count_queries(api, page(url, 1))
    populate(199)
    full = count_queries(api, page(url, 200))
    assert one == full, f"{url}: {one} queries for 1 row, {full} for 200"
    assert full <= MAX_QUERIES, f"{url}: {full} queries"


def test_a_full_page_really_holds_200_rows(api):
    populate(200)
    response = api.get("/api/v1/facilities/?limit=200")
    assert len(response.json()["results"]) == 200
    assert all(row["institutions"] and row["techniques"] for row in response.json()["results"])


@pytest.mark.parametrize(
    "resource",
    ["facilities", "programmes", "calls", "institutions", "agreements", "techniques", "fields"],
)
def test_detail_queries_are_bounded(api, resource):
    populate(3)
    slug = api.get(f"/api/v1/{resource}/?limit=1").json()["results"][0]["slug"]
    assert count_queries(api, f"/api/v1/{resource}/{slug}/") <= MAX_QUERIES


def test_facets_cost_one_query_each(api):
    populate(5)
    plain = count_queries(api, "/api/v1/facilities/")
    faceted = count_queries(api, "/api/v1/facilities/?facets=country,kind,status")
    assert faceted - plain == 3
