"""Lookup expressions (``name__ic``, ``energy_gev__gte``, ``kind__n``, ``city__empty``…) and
disjunctive facets, through HTTP (directory.filtersets: the ``lookups`` tables)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from directory import choices, filtersets
from tests.factories import (
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    TechniqueFactory,
    country,
)

DRAFT = {"is_published": False}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["slug"] for row in response.json()["results"])


@pytest.fixture
def facilities(db):
    FacilityFactory(
        slug="spring-8",
        name="SPring-8",
        city="Sayo",
        energy_gev=Decimal("8"),
        first_operation_year=1997,
        kind=choices.FacilityKind.SYNCHROTRON,
    )
    FacilityFactory(
        slug="diamond",
        name="Diamond Light Source",
        city="Didcot",
        country=country("GB"),
        energy_gev=Decimal("3"),
        first_operation_year=2007,
    )
    FacilityFactory(
        slug="j-parc",
        name="J-PARC",
        city="",
        energy_gev=None,
        kind=choices.FacilityKind.SPALLATION_NEUTRON,
        first_operation_year=2008,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name__ic=light", ["diamond"]),
        ("name__ic=SPRING", ["spring-8"]),
        ("name__isw=j-", ["j-parc"]),
        ("name__ie=spring-8", ["spring-8"]),
        ("name=spring-8", []),  # plain equality is case-sensitive
        ("name=SPring-8", ["spring-8"]),
        ("city=Didcot", ["diamond"]),
        ("city__empty=true", ["j-parc"]),
        ("city__empty=false", ["diamond", "spring-8"]),
        ("energy_gev__gte=3", ["diamond", "spring-8"]),
        ("energy_gev__gt=3", ["spring-8"]),
        ("energy_gev__lt=8", ["diamond"]),
        ("energy_gev__lte=8&energy_gev__gte=8", ["spring-8"]),
        ("energy_gev=3", ["diamond"]),
        ("energy_gev__empty=true", ["j-parc"]),
        ("first_operation_year__lt=2008", ["diamond", "spring-8"]),
        ("energy_gev_min=5", ["spring-8"]),  # the existing names keep working
        ("kind__n=synchrotron", ["j-parc"]),
        ("kind__n=synchrotron,spallation_neutron", []),
        ("country__n=gb", ["j-parc", "spring-8"]),
        ("country__n=GB&kind__n=spallation_neutron", ["spring-8"]),
        ("slug__isw=sp", ["spring-8"]),
    ],
)
def test_a_lookup_selects_its_records(api, facilities, query, expected):
    assert slugs(api.get(f"/api/v1/facilities/?{query}&fields=slug")) == expected


@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ("energy_gev__gte=abc", "energy_gev__gte", "number"),
        ("first_operation_year__lt=1.5", "first_operation_year__lt", "whole number"),
        ("first_operation_year__gt=99999999999", "first_operation_year__gt", "less than"),
        ("closed_on__gte=2020-13-01", "closed_on__gte", "YYYY-MM-DD"),
        ("updated_at__gte=yesterday", "updated_at__gte", "date"),
        ("city__empty=maybe", "city__empty", "true or false"),
        ("kind__n=ring", "kind__n", "synchrotron"),
        ("country__n=XX", "country__n", "ISO 3166-1"),
        ("operator__n=no%20slug", "operator__n", "slug"),
        (f"name__ic={'x' * 501}", "name__ic", "500"),
        ("energy_gev__gte=NaN", "energy_gev__gte", "number"),
    ],
)
def test_a_bad_lookup_value_is_a_400_naming_the_parameter(api, db, query, parameter, words):
    response = api.get(f"/api/v1/facilities/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [parameter]
    assert words in " ".join(body[parameter])


def test_an_unknown_lookup_is_refused(api, db):
    response = api.get("/api/v1/facilities/?energy_gev__ic=3&description__ic=x")
    assert response.status_code == 400
    assert set(response.json()) == {"energy_gev__ic", "description__ic"}


def test_every_list_takes_the_common_lookups(api, db):
    for resource in ["programmes", "calls", "institutions", "agreements", "techniques", "fields"]:
        response = api.get(f"/api/v1/{resource}/?name__ic=x&updated_at__gte=2020-01-01")
        assert response.status_code == 200, (resource, response.content)
    assert (
        api.get("/api/v1/sources/?publisher__ic=x&published_on__lt=2020-01-01").status_code == 200
    )
    assert api.get("/api/v1/institutions/?city__isw=tsu&parent__n=riken").status_code == 200


def test_negating_a_relation_goes_through_visible_records_only(api, staff_api, db):
    """operator__n=<draft> excludes nothing for the public: the facility whose only operator is
    the draft stays listed, as for operator__n=<unknown>; staff, who see the draft, lose it."""
    FacilityRoleFactory(
        facility=FacilityFactory(slug="hidden-operator"),
        institution=InstitutionFactory(slug="secret", **DRAFT),
    )
    FacilityRoleFactory(
        facility=FacilityFactory(slug="by-riken"), institution=InstitutionFactory(slug="riken")
    )
    url = "/api/v1/facilities/?fields=slug&operator__n="
    assert slugs(api.get(url + "secret")) == slugs(api.get(url + "unknown"))
    assert slugs(api.get(url + "secret")) == ["by-riken", "hidden-operator"]
    assert slugs(staff_api.get(url + "secret")) == ["by-riken"]
    assert slugs(api.get(url + "riken")) == ["hidden-operator"]


def test_a_lookup_on_the_last_change_reads_every_write(db):
    """directory.kinds: such a list depends on its whole kind (reads_every_write)."""
    from django.http import QueryDict

    from directory.models import Facility

    for query, reads in [
        ("updated_at__gte=2020-01-01", True),
        ("updated_since=2020-01-01", True),
        ("ordering=-updated_at", True),
        ("created_at__gte=2020-01-01", False),
        ("name__ic=x", False),
    ]:
        filterset = filtersets.FacilityFilterSet(
            QueryDict(query), queryset=Facility.objects.all(), request=None
        )
        assert filterset.is_valid(), filterset.errors
        assert filterset.reads_every_write() is reads, query


# --- facets -----------------------------------------------------------------------------


def facet(response, name) -> dict:
    assert response.status_code == 200, response.content
    return {row["value"]: row["count"] for row in response.json()["facets"][name]}


def test_a_facet_ignores_its_own_filter(api, facilities):
    url = "/api/v1/facilities/?kind=synchrotron&facets=kind,country"
    response = api.get(url)
    assert response.json()["count"] == 2
    # The kind facet counts every kind under the other filters (none here) …
    assert facet(response, "kind") == {"synchrotron": 2, "spallation_neutron": 1}
    # … the country facet counts under kind=synchrotron.
    assert facet(response, "country") == {"JP": 1, "GB": 1}
    # Its lookups too: kind__n is the kind facet's own filter.
    assert facet(api.get("/api/v1/facilities/?kind__n=synchrotron&facets=kind"), "kind") == {
        "synchrotron": 2,
        "spallation_neutron": 1,
    }
    # Under the other filters: country=GB.
    assert facet(
        api.get("/api/v1/facilities/?kind=synchrotron&country=GB&facets=kind"), "kind"
    ) == {"synchrotron": 1}


def test_relation_facets_count_visible_links_of_their_role(api, staff_api, db):
    riken, qst = InstitutionFactory(slug="riken"), InstitutionFactory(slug="qst")
    secret = InstitutionFactory(slug="secret", **DRAFT)
    spring8, nanoterasu = FacilityFactory(slug="spring-8"), FacilityFactory(slug="nanoterasu")
    FacilityRoleFactory(facility=spring8, institution=riken)
    FacilityRoleFactory(facility=nanoterasu, institution=qst)
    FacilityRoleFactory(facility=nanoterasu, institution=secret)
    # A host is no operator.
    FacilityRoleFactory(facility=spring8, institution=qst, role=choices.FacilityRoleKind.HOST)
    url = "/api/v1/facilities/?operator=riken&facets=operator"
    assert api.get(url).json()["count"] == 1
    assert facet(api.get(url), "operator") == {"riken": 1, "qst": 1}
    assert facet(staff_api.get(url), "operator") == {"riken": 1, "qst": 1, "secret": 1}
    # operator__n is the operator facet's own filter too.
    assert facet(api.get("/api/v1/facilities/?operator__n=qst&facets=operator"), "operator") == {
        "riken": 1,
        "qst": 1,
    }

    programme = ProgrammeFactory(slug="q-leap")
    ProgrammeRoleFactory(programme=programme, institution=InstitutionFactory(slug="jst"))
    ProgrammeRoleFactory(
        programme=programme,
        institution=InstitutionFactory(slug="qst-partner"),
        role=choices.ProgrammeRoleKind.PARTNER,
    )
    assert facet(api.get("/api/v1/programmes/?facets=funder"), "funder") == {"jst": 1}


def test_a_facet_under_a_negated_relation_counts_no_draft(api, db):
    hidden = TechniqueFactory(slug="hidden", **DRAFT)
    xafs = TechniqueFactory(slug="xafs")
    FacilityFactory(slug="a", techniques=[xafs, hidden])
    FacilityFactory(slug="b", techniques=[hidden])
    response = api.get("/api/v1/facilities/?technique__n=hidden&facets=technique,kind")
    assert slugs(response) == ["a", "b"]
    assert facet(response, "technique") == {"xafs": 1}
    assert facet(response, "kind") == {"synchrotron": 2}


def test_every_facet_has_a_filter_it_ignores_and_is_in_the_schema(api, db):
    schema = api.get("/api/schema/?format=json").json()
    paths = {
        "facilities": filtersets.FacilityFilterSet,
        "programmes": filtersets.ProgrammeFilterSet,
        "calls": filtersets.CallFilterSet,
        "institutions": filtersets.InstitutionFilterSet,
        "agreements": filtersets.AgreementFilterSet,
        "techniques": filtersets.TechniqueFilterSet,
    }
    for resource, filterset in paths.items():
        parameters = {
            parameter["name"]: parameter
            for parameter in schema["paths"][f"/api/v1/{resource}/"]["get"]["parameters"]
        }
        assert parameters["facets"]["schema"]["items"]["enum"] == list(filterset.facets)
        for name, declared in filterset.facets.items():
            own = declared.filters or (name,)
            # A facet without a filter of its own (call_frequency) ignores nothing.
            assert name == "call_frequency" or set(own) <= set(filterset.base_filters), name
        # Every generated lookup is documented, with its description.
        for name in filterset.optional_filters:
            assert parameters[name]["description"], (resource, name)


def test_on_the_seed_data_lookups_and_disjunctive_facets(api, seed_data):
    """The seed path `make run` loads."""
    synchrotrons = api.get("/api/v1/facilities/?kind=synchrotron&facets=kind&limit=200").json()
    kinds = {row["value"]: row["count"] for row in synchrotrons["facets"]["kind"]}
    assert kinds["synchrotron"] == synchrotrons["count"]
    assert len(kinds) > 1  # the other kinds are counted too
    total = api.get("/api/v1/facilities/?limit=1").json()["count"]
    assert sum(kinds.values()) == total  # one kind per facility: every facility counted
    found = api.get("/api/v1/facilities/?name__ic=nanoterasu&fields=slug").json()["results"]
    assert [row["slug"] for row in found] == ["nanoterasu"]
    not_japan = api.get("/api/v1/facilities/?country__n=JP&limit=200&fields=slug,country")
    assert not_japan.status_code == 200
    assert not_japan.json()["count"] > 0
    assert all(row["country"] != "JP" for row in not_japan.json()["results"])
    operators = api.get("/api/v1/facilities/?operator=qst&facets=operator").json()["facets"]
    assert {row["value"] for row in operators["operator"]} > {"qst"}
