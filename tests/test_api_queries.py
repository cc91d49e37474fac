"""Every list and detail endpoint runs a constant, small number of SQL queries.

A page of 1 and a page of 200 cost the same, and never more than MAX_QUERIES.
"""

import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from directory.countries import countries_by_code
from directory.services import feed
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
    SourceFactory,
    TechniqueFactory,
)

MAX_QUERIES = 6


def populate(n: int) -> None:
    """n records of every kind, each linked to the others like real records are; written
    in one feed batch, as an import or the seeding writes (the feed and the versions are
    brought up to date once, at the end, instead of once per record: the class setup
    fell from 92 s to 36 s on SQLite)."""
    with transaction.atomic(), feed.batch():
        _populate(n)


def _populate(n: int) -> None:
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
        SourceFactory(sources=[])
        agreement.institutions.add(institution)
        agreement.facilities.add(facility)


LISTS = [
    "/api/v1/facilities/",
    "/api/v1/facilities/?near=38,140&radius_km=100&ordering=distance",
    "/api/v1/facilities/?q=light&country=JP&kind=synchrotron",
    "/api/v1/facilities/?format=csv",
    "/api/v1/facilities/?format=geojson",
    "/api/v1/facilities/?sync=true",
    "/api/v1/facilities/?sync=true&country=JP&format=csv",
    "/api/v1/programmes/",
    "/api/v1/programmes/?has_open_call=true&country_all=GB,JP",
    "/api/v1/programmes/?sync=true",
    "/api/v1/calls/",
    "/api/v1/calls/?status=open",
    "/api/v1/institutions/",
    "/api/v1/institutions/?role=operator&facility_kind=synchrotron",
    "/api/v1/agreements/",
    "/api/v1/techniques/",
    "/api/v1/fields/",
    "/api/v1/sources/",
    "/api/v1/instruments/",
    "/api/v1/instruments/?facility_energy_gev_min=1&kind=beamline",
    "/api/v1/calls/?facility=" + ",".join(f"light-source-{n}" for n in range(50)),
    "/api/v1/search/?q=record",
    "/api/v1/changes/",
    "/api/v1/changes/?since=2020-01-01",
]


def count_queries(client, url: str, *, warm: bool = False) -> int:
    """The SQL statements of one answer computed by the view: with every record's
    representation to render (cold), or with all of them cached (warm)."""
    countries_by_code()  # loaded once per process, not per request
    cache.clear()
    if warm:
        client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def page(url: str, limit: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}limit={limit}"


@override_settings(RESPONSE_CACHE_SECONDS=0)  # every answer computed by its view
class QueryCountTests(TestCase):
    """200 linked records of every kind, created once for the class."""

    @classmethod
    def setUpTestData(cls):
        populate(200)

    def setUp(self):
        self.api = APIClient(HTTP_HOST="localhost")

    def test_list_queries_do_not_grow_with_page_size(self):
        for url in LISTS:
            for warm in (False, True):
                with self.subTest(url=url, warm=warm):
                    one = count_queries(self.api, page(url, 1), warm=warm)
                    full = count_queries(self.api, page(url, 200), warm=warm)
                    assert one == full, f"{url}: {one} queries for 1 row, {full} for 200"
                    assert full <= MAX_QUERIES, f"{url}: {full} queries"

    def test_a_warm_page_skips_the_summaries_and_the_kept_count(self):
        url = "/api/v1/facilities/?limit=200"
        # cold: the change marker, the count, the page, the summaries; warm: no summaries
        # (representations cached) and no count (kept until the next write)
        assert count_queries(self.api, url, warm=True) == count_queries(self.api, url) - 2

    def test_a_full_page_really_holds_200_rows_with_their_relations(self):
        results = self.api.get("/api/v1/facilities/?limit=200").json()["results"]
        assert len(results) == 200
        assert all(row["institutions"] and row["techniques"] for row in results)

    def test_detail_queries_are_bounded(self):
        for resource in [
            "facilities",
            "programmes",
            "calls",
            "institutions",
            "agreements",
            "techniques",
            "fields",
            "sources",
            "instruments",
        ]:
            with self.subTest(resource=resource):
                slug = self.api.get(f"/api/v1/{resource}/?limit=1").json()["results"][0]["slug"]
                assert count_queries(self.api, f"/api/v1/{resource}/{slug}/") <= MAX_QUERIES

    def test_facets_cost_one_query_each(self):
        plain = count_queries(self.api, "/api/v1/facilities/")
        faceted = count_queries(self.api, "/api/v1/facilities/?facets=country,kind,status")
        assert faceted - plain == 3

    def test_disjunctive_facets_under_filters_and_lookups_cost_one_query_each(self):
        """A facet whose own filter is given counts under the others: still one query."""
        query = (
            "kind=synchrotron&country=JP&technique__n=nope&operator__n=nope&name__ic=light"
            "&energy_gev__gte=1&limit=200"
        )
        facets = "country,kind,status,technique,field,access_mode,operator,programme"
        plain = count_queries(self.api, f"/api/v1/facilities/?{query}")
        faceted = count_queries(self.api, f"/api/v1/facilities/?{query}&facets={facets}")
        assert faceted - plain == 8
        assert plain == count_queries(self.api, f"/api/v1/facilities/?{query}".replace("200", "1"))


def test_the_unfiltered_count_is_kept_until_a_write(settings, reference_data):
    """Writes really commit here: the kept count is keyed by the generation they raise."""
    settings.RESPONSE_CACHE_SECONDS = 0
    api = APIClient(HTTP_HOST="localhost")
    FacilityFactory.create_batch(3)

    def counted(url):
        with CaptureQueriesContext(connection) as captured:
            count = api.get(url).json()["count"]
        return count, sum("COUNT(" in query["sql"].upper() for query in captured)

    assert counted("/api/v1/facilities/") == (3, 1)
    assert counted("/api/v1/facilities/") == (3, 0)  # kept
    assert counted("/api/v1/facilities/?kind=synchrotron") == (3, 1)  # filtered: counted
    FacilityFactory()
    assert counted("/api/v1/facilities/") == (4, 1)  # a write renews it
    FacilityFactory(is_published=False)
    assert counted("/api/v1/facilities/") == (4, 1)
