"""Drafts stay invisible through every filter and facet of every list.

For each filter of each filterset, a case builds a record that the filter matches only through
a draft: either the record itself is a draft, or its only link to the filtered value is a draft
record (an operator, a technique, a programme, a call…). Signed-in staff see it listed; the
public must not, neither in ``results`` nor in ``count`` nor in the widgets. The last test makes
sure no filter is left without a case.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from directory import choices, filtersets, services
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
    country,
)

DRAFT = {"is_published": False}
LONG_AGO = datetime.date(2000, 1, 1)


def succeeded(predecessor, successor, kind="succeeded_by"):
    """``successor`` followed ``predecessor`` (a succession, written with the predecessor)."""
    services.record_update(
        record=predecessor,
        relations={"successors": [services.SuccessionLink(successor, kind)]},
    )


def facility(**fields):
    return FacilityFactory(slug="hidden-hit", **fields)


def draft_facility(**fields):
    return facility(**DRAFT, **fields)


# Each builder creates the records and returns the query string that should find "hidden-hit"
# for staff only.
FACILITY_CASES = {
    "q": lambda: (draft_facility(name="Zyxwv Ring"), "q=zyxwv")[1],
    "updated_since": lambda: (draft_facility(), f"updated_since={LONG_AGO}")[1],
    "country": lambda: (draft_facility(country=country("GB")), "country=GB")[1],
    "kind": lambda: (draft_facility(kind=choices.FacilityKind.XFEL), "kind=xfel")[1],
    "status": lambda: (
        draft_facility(status=choices.FacilityStatus.PLANNED),
        "status=planned",
    )[1],
    "operator": lambda: (
        FacilityRoleFactory(
            facility=facility(), institution=InstitutionFactory(slug="op", **DRAFT)
        ),
        "operator=op",
    )[1],
    "technique": lambda: (
        facility(techniques=[TechniqueFactory(slug="tech", **DRAFT)]),
        "technique=tech",
    )[1],
    "field": lambda: (facility(fields=[ResearchFieldFactory(slug="fld", **DRAFT)]), "field=fld")[1],
    "access_mode": lambda: (
        facility(access_modes=[AccessModeFactory(kind="proprietary", **DRAFT)]),
        "access_mode=proprietary",
    )[1],
    "programme": lambda: (
        ProgrammeFactory(slug="prog", facilities=[facility()], **DRAFT),
        "programme=prog",
    )[1],
    "wikidata": lambda: (draft_facility(wikidata_id="Q777000002"), "wikidata=Q777000002")[1],
    # Its only predecessor, or its only successor, is a draft.
    "successor_of": lambda: (
        succeeded(FacilityFactory(slug="pre", **DRAFT), facility()),
        "successor_of=pre",
    )[1],
    "predecessor_of": lambda: (
        succeeded(facility(), FacilityFactory(slug="suc", **DRAFT)),
        "predecessor_of=suc",
    )[1],
    "energy_gev_min": lambda: (draft_facility(energy_gev=Decimal("99")), "energy_gev_min=50")[1],
    "energy_gev_max": lambda: (draft_facility(energy_gev=Decimal("0.1")), "energy_gev_max=0.2")[1],
    "first_operation_year_min": lambda: (
        draft_facility(first_operation_year=2099),
        "first_operation_year_min=2090",
    )[1],
    "first_operation_year_max": lambda: (
        draft_facility(first_operation_year=1901),
        "first_operation_year_max=1910",
    )[1],
    "near": lambda: (
        draft_facility(latitude=Decimal("-45"), longitude=Decimal("170")),
        "near=-45,170&radius_km=10",
    )[1],
    "bbox": lambda: (
        draft_facility(latitude=Decimal("-45"), longitude=Decimal("170")),
        "bbox=169,-46,171,-44",
    )[1],
}


def programme(**fields):
    return ProgrammeFactory(slug="hidden-hit", **fields)


def draft_programme(**fields):
    return programme(**DRAFT, **fields)


def open_call_of(parent, **fields):
    return CallFactory(programme=parent, **fields)


PROGRAMME_CASES = {
    "q": lambda: (draft_programme(name="Zyxwv Scheme"), "q=zyxwv")[1],
    "updated_since": lambda: (draft_programme(), f"updated_since={LONG_AGO}")[1],
    "kind": lambda: (draft_programme(kind=choices.ProgrammeKind.MOBILITY), "kind=mobility")[1],
    "status": lambda: (draft_programme(status=choices.ProgrammeStatus.CLOSED), "status=closed")[1],
    "funder": lambda: (
        ProgrammeRoleFactory(
            programme=programme(), institution=InstitutionFactory(slug="fu", **DRAFT)
        ),
        "funder=fu",
    )[1],
    "country": lambda: (draft_programme(countries=[country("GB")]), "country=GB")[1],
    "country_all": lambda: (
        draft_programme(countries=[country("GB"), country("JP")]),
        "country_all=GB,JP",
    )[1],
    "field": lambda: (programme(fields=[ResearchFieldFactory(slug="fld", **DRAFT)]), "field=fld")[
        1
    ],
    "facility": lambda: (
        programme(facilities=[FacilityFactory(slug="fac", **DRAFT)]),
        "facility=fac",
    )[1],
    "active_on": lambda: (draft_programme(), "active_on=2026-04-01")[1],
    "successor_of": lambda: (
        succeeded(ProgrammeFactory(slug="pre", **DRAFT), programme()),
        "successor_of=pre",
    )[1],
    "predecessor_of": lambda: (
        succeeded(programme(), ProgrammeFactory(slug="suc", **DRAFT)),
        "predecessor_of=suc",
    )[1],
    "has_open_call": lambda: (open_call_of(programme(), **DRAFT), "has_open_call=true")[1],
    "deadline_before": lambda: (
        open_call_of(programme(), **DRAFT, closes_at=timezone.now() + datetime.timedelta(days=2)),
        f"deadline_before={timezone.localdate() + datetime.timedelta(days=5)}",
    )[1],
    "deadline_after": lambda: (
        open_call_of(programme(), **DRAFT),
        f"deadline_after={timezone.localdate()}",
    )[1],
}


def call(**fields):
    return CallFactory(slug="hidden-hit", **fields)


CALL_CASES = {
    "q": lambda: (call(name="Zyxwv Call", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (call(**DRAFT), f"updated_since={LONG_AGO}")[1],
    # A published call of a draft programme is a draft with it.
    "programme": lambda: (
        call(programme=ProgrammeFactory(slug="prog", **DRAFT)),
        "programme=prog",
    )[1],
    "status": lambda: (call(programme=ProgrammeFactory(**DRAFT)), "status=open")[1],
    "closes_before": lambda: (
        call(**DRAFT),
        f"closes_before={timezone.localdate() + datetime.timedelta(days=60)}",
    )[1],
    "closes_after": lambda: (call(**DRAFT), f"closes_after={timezone.localdate()}")[1],
    "field": lambda: (
        call(programme=ProgrammeFactory(fields=[ResearchFieldFactory(slug="fld", **DRAFT)])),
        "field=fld",
    )[1],
    "country": lambda: (
        call(programme=ProgrammeFactory(countries=[country("GB")], **DRAFT)),
        "country=GB",
    )[1],
    # Through the programme's facilities: a draft facility matches nothing.
    "facility": lambda: (
        call(programme=ProgrammeFactory(facilities=[FacilityFactory(slug="fac", **DRAFT)])),
        "facility=fac",
    )[1],
}


def institution(**fields):
    return InstitutionFactory(slug="hidden-hit", **fields)


INSTITUTION_CASES = {
    "q": lambda: (institution(name="Zyxwv Institute", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (institution(**DRAFT), f"updated_since={LONG_AGO}")[1],
    "kind": lambda: (institution(kind=choices.InstitutionKind.COMPANY, **DRAFT), "kind=company")[1],
    "country": lambda: (institution(country=country("GB"), **DRAFT), "country=GB")[1],
    "parent": lambda: (
        institution(parent=InstitutionFactory(slug="par", **DRAFT)),
        "parent=par",
    )[1],
    "ror_id": lambda: (institution(ror_id="01dq60k83", **DRAFT), "ror_id=01dq60k83")[1],
    "has_ror_id": lambda: (institution(ror_id="01dq60k83", **DRAFT), "has_ror_id=true")[1],
    "wikidata": lambda: (institution(wikidata_id="Q777000001", **DRAFT), "wikidata=Q777000001")[1],
    "successor_of": lambda: (
        succeeded(InstitutionFactory(slug="pre", **DRAFT), institution(), "merged_into"),
        "successor_of=pre",
    )[1],
    "predecessor_of": lambda: (
        succeeded(institution(), InstitutionFactory(slug="suc", **DRAFT), "renamed_to"),
        "predecessor_of=suc",
    )[1],
    # Its only funder link is to a draft programme.
    "role": lambda: (
        ProgrammeRoleFactory(programme=ProgrammeFactory(**DRAFT), institution=institution()),
        "role=funder",
    )[1],
    # It operates only a draft neutron source.
    "facility_kind": lambda: (
        FacilityRoleFactory(
            facility=FacilityFactory(kind=choices.FacilityKind.SPALLATION_NEUTRON, **DRAFT),
            institution=institution(),
        ),
        "facility_kind=spallation_neutron",
    )[1],
}


def agreement(**fields):
    return AgreementFactory(slug="hidden-hit", **fields)


AGREEMENT_CASES = {
    "q": lambda: (agreement(name="Zyxwv Accord", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (agreement(**DRAFT), f"updated_since={LONG_AGO}")[1],
    "kind": lambda: (
        agreement(kind=choices.AgreementKind.JOINT_STATEMENT, **DRAFT),
        "kind=joint_statement",
    )[1],
    "institution": lambda: (
        agreement(institutions=[InstitutionFactory(slug="ins", **DRAFT)]),
        "institution=ins",
    )[1],
    "facility": lambda: (
        agreement(facilities=[FacilityFactory(slug="fac", **DRAFT)]),
        "facility=fac",
    )[1],
}

TECHNIQUE_CASES = {
    "q": lambda: (TechniqueFactory(slug="hidden-hit", name="Zyxwv", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (
        TechniqueFactory(slug="hidden-hit", **DRAFT),
        f"updated_since={LONG_AGO}",
    )[1],
    "probe": lambda: (
        TechniqueFactory(slug="hidden-hit", probe=choices.Probe.MUON, **DRAFT),
        "probe=muon",
    )[1],
}

FIELD_CASES = {
    "q": lambda: (ResearchFieldFactory(slug="hidden-hit", name="Zyxwv", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (
        ResearchFieldFactory(slug="hidden-hit", **DRAFT),
        f"updated_since={LONG_AGO}",
    )[1],
}

SOURCE_CASES = {
    "q": lambda: (SourceFactory(slug="hidden-hit", name="Zyxwv", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (
        SourceFactory(slug="hidden-hit", **DRAFT),
        f"updated_since={LONG_AGO}",
    )[1],
}


def instrument(**fields):
    return InstrumentFactory(slug="hidden-hit", **fields)


# An instrument of a draft facility is a draft with it (selectors.PUBLIC_THROUGH).
INSTRUMENT_CASES = {
    "q": lambda: (instrument(name="Zyxwv", **DRAFT), "q=zyxwv")[1],
    "updated_since": lambda: (instrument(**DRAFT), f"updated_since={LONG_AGO}")[1],
    "facility": lambda: (
        instrument(facility=FacilityFactory(slug="fac", **DRAFT)),
        "facility=fac",
    )[1],
    "kind": lambda: (
        instrument(facility=FacilityFactory(**DRAFT), kind=choices.InstrumentKind.END_STATION),
        "kind=end_station",
    )[1],
    "technique": lambda: (
        instrument(techniques=[TechniqueFactory(slug="tech", **DRAFT)]),
        "technique=tech",
    )[1],
    "facility_energy_gev_min": lambda: (
        instrument(facility=FacilityFactory(energy_gev=Decimal("99"), **DRAFT)),
        "facility_energy_gev_min=50",
    )[1],
    "facility_energy_gev_max": lambda: (
        instrument(facility=FacilityFactory(energy_gev=Decimal("0.1"), **DRAFT)),
        "facility_energy_gev_max=0.2",
    )[1],
}

RESOURCES = {
    "facilities": (filtersets.FacilityFilterSet, FACILITY_CASES),
    "programmes": (filtersets.ProgrammeFilterSet, PROGRAMME_CASES),
    "calls": (filtersets.CallFilterSet, CALL_CASES),
    "institutions": (filtersets.InstitutionFilterSet, INSTITUTION_CASES),
    "agreements": (filtersets.AgreementFilterSet, AGREEMENT_CASES),
    "techniques": (filtersets.TechniqueFilterSet, TECHNIQUE_CASES),
    "fields": (filtersets.ResearchFieldFilterSet, FIELD_CASES),
    "sources": (filtersets.SourceFilterSet, SOURCE_CASES),
    "instruments": (filtersets.InstrumentFilterSet, INSTRUMENT_CASES),
}
#: Parameters that select nothing by themselves.
NOT_SELECTING = {"ordering", "radius_km"}
WIDGETS = {"facilities", "programmes", "calls"}

CASES = [
    pytest.param(resource, name, build, id=f"{resource}-{name}")
    for resource, (_filterset, cases) in RESOURCES.items()
    for name, build in cases.items()
]


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [record["slug"] for record in response.json()["results"]]


@pytest.mark.parametrize(("resource", "name", "build"), CASES)
def test_a_filter_never_matches_through_a_draft(api, staff_api, resource, name, build):
    query = build()
    url = f"/api/v1/{resource}/?{query}&fields=slug"
    # Staff see the record the filter finds through the draft: the case is a real match.
    assert "hidden-hit" in slugs(staff_api.get(url))
    anonymous = api.get(url)
    assert "hidden-hit" not in slugs(anonymous)
    assert anonymous.json()["count"] == len(anonymous.json()["results"])
    if resource in WIDGETS:
        widget = api.get(f"/embed/{resource}/?{query}")
        assert widget.status_code == 200
        assert b"hidden-hit" not in widget.content
        assert b"Zyxwv" not in widget.content
    if resource == "calls":
        calendar = api.get(f"/api/v1/calls.ics?{query}")
        assert calendar.status_code == 200
        assert b"hidden-hit" not in calendar.content


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_filter_has_a_drafts_case(resource):
    """The generated lookups have theirs below: ``__n`` through the declared filter's case,
    and the lookups on a record's own fields, which read its visible records only."""
    filterset, cases = RESOURCES[resource]
    assert set(filterset.base_filters) - NOT_SELECTING - filterset.optional_filters == set(cases)
    negated = {name for name in filterset.optional_filters if name.endswith("__n")}
    assert {name.removesuffix("__n") for name in negated} <= set(cases)


NEGATED_CASES = [
    pytest.param(resource, name, build, id=f"{resource}-{name}__n")
    for resource, (filterset, cases) in RESOURCES.items()
    for name, build in cases.items()
    if f"{name}__n" in filterset.base_filters
]


@pytest.mark.parametrize(("resource", "name", "build"), NEGATED_CASES)
def test_a_negated_filter_never_excludes_through_a_draft(api, staff_api, resource, name, build):
    """``<filter>__n``: staff, for whom the case matches, lose the record; the public get the
    very list they get without the parameter (the draft link excludes nothing)."""
    query = build().replace(f"{name}=", f"{name}__n=", 1)
    url = f"/api/v1/{resource}/?fields=slug&limit=200"
    assert "hidden-hit" in slugs(staff_api.get(url))
    assert "hidden-hit" not in slugs(staff_api.get(f"{url}&{query}"))
    assert slugs(api.get(f"{url}&{query}")) == slugs(api.get(url))


@pytest.mark.parametrize(
    "query",
    [
        "name__ic=zyxwv",
        "name__isw=zyxwv",
        "name__ie=zyxwv%20ring",
        "name=Zyxwv%20Ring",
        "city=Zyx",
        "city__empty=false",
        "energy_gev__gte=99",
        "closed_on__empty=true",
        f"updated_at__gte={LONG_AGO}",
        f"created_at__gt={LONG_AGO}",
        "slug__isw=hidden",
    ],
)
def test_a_lookup_on_a_records_own_field_never_matches_a_draft(api, staff_api, db, query):
    draft_facility(name="Zyxwv Ring", city="Zyx", energy_gev=Decimal("99"))
    url = f"/api/v1/facilities/?{query}&fields=slug"
    assert "hidden-hit" in slugs(staff_api.get(url))
    assert slugs(api.get(url)) == []


def test_facets_count_no_link_to_a_draft(api, staff_api, db):
    FacilityFactory(
        techniques=[TechniqueFactory(slug="tech", **DRAFT)],
        fields=[ResearchFieldFactory(slug="fld", **DRAFT)],
        access_modes=[AccessModeFactory(kind="proprietary", **DRAFT)],
    )
    CallFactory(programme=ProgrammeFactory(fields=[ResearchFieldFactory(slug="f2", **DRAFT)]))
    url = "/api/v1/facilities/?facets=technique,field,access_mode"
    assert staff_api.get(url).json()["facets"]["technique"][0]["value"] == "tech"
    facets = api.get(url).json()["facets"]
    assert facets == {"technique": [], "field": [], "access_mode": []}
    assert api.get("/api/v1/calls/?facets=field").json()["facets"] == {"field": []}
    assert staff_api.get("/api/v1/calls/?facets=field").json()["facets"]["field"][0]["count"] == 1


def test_on_the_seed_data_an_unpublished_operator_is_matched_by_no_filter(
    api, staff_api, seed_data
):
    """The seed path `make run` loads: NanoTerasu's operator QST taken back as a draft."""
    from directory import services
    from directory.models import Institution

    services.record_unpublish(record=Institution.objects.get(slug="qst"), reason="Test")
    assert api.get("/api/v1/facilities/?operator=qst").json()["count"] == 0
    assert staff_api.get("/api/v1/facilities/?operator=qst").json()["count"] >= 1
    nanoterasu = api.get("/api/v1/facilities/nanoterasu/").json()
    assert "qst" not in [brief["slug"] for brief in nanoterasu["institutions"]]
    operators = api.get("/api/v1/institutions/?role=operator&limit=200&fields=slug").json()
    assert "qst" not in [row["slug"] for row in operators["results"]]


# --- the publication rule's three forms (directory.selectors.PUBLIC_THROUGH) -----------------


@pytest.mark.django_db
@pytest.mark.parametrize("programme_published", [True, False])
def test_the_rule_reads_the_same_as_a_condition_on_a_record_and_in_the_briefs_sql(
    programme_published,
):
    """A published call of a draft programme is a draft: as a query condition, on a loaded
    record and in the briefs' SQL alike (a relation listing calls in brief)."""
    from directory.models import Call, Programme
    from directory.selectors import Relation, attach_briefs, is_public, public_condition

    programme = ProgrammeFactory(slug="q-leap", is_published=programme_published)
    call = CallFactory(programme=programme, slug="q-leap-2026", is_published=True)
    calls = Relation("calls", through=Call, owner="programme", target="", kind="calls")
    owner = Programme._base_manager.get(pk=programme.pk)

    attach_briefs([owner], [calls])
    in_sql = [brief.slug for brief in owner.briefs["calls"]]
    as_condition = list(
        Call._base_manager.filter(public_condition(Call)).values_list("slug", flat=True)
    )

    expected = ["q-leap-2026"] if programme_published else []
    assert (in_sql, as_condition, is_public(call)) == (expected, expected, programme_published)
    attach_briefs([owner], [calls], drafts=True)
    assert [brief.slug for brief in owner.briefs["calls"]] == ["q-leap-2026"]
