"""Instruments and beamlines have their endpoint; facilities and programmes lead to all their
calls (issue 16, item 7)."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone

from directory import choices
from directory.models import Facility
from tests.factories import (
    CallFactory,
    FacilityFactory,
    InstrumentFactory,
    ProgrammeFactory,
    SourceFactory,
    TechniqueFactory,
    citation,
    update,
)

URL = "/api/v1/instruments/"


def slugs(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def beamlines(db):
    """B16 (XAFS) at a 3 GeV ring, SRC at a 0.5 GeV cyclotron, BL1 at a draft 8 GeV ring."""
    xafs = TechniqueFactory(slug="xafs")
    ring = FacilityFactory(slug="ring", energy_gev=Decimal("3.0"))
    cyclotron = FacilityFactory(slug="cyclotron", energy_gev=Decimal("0.5"))
    draft = FacilityFactory(slug="draft-ring", energy_gev=Decimal("8.0"), is_published=False)
    InstrumentFactory(slug="b16", name="B16", facility=ring, techniques=[xafs])
    InstrumentFactory(
        slug="src", name="SRC", facility=cyclotron, kind=choices.InstrumentKind.INSTRUMENT
    )
    InstrumentFactory(slug="bl1", name="BL1", facility=draft)


def test_list_and_detail(api, beamlines):
    assert slugs(api.get(URL)) == ["b16", "src"]
    body = api.get(f"{URL}b16/").json()
    assert body["url"] == "http://localhost/api/v1/instruments/b16/"
    assert body["facility"]["url"] == "http://localhost/api/v1/facilities/ring/"
    assert [t["slug"] for t in body["techniques"]] == ["xafs"]
    assert (body["kind"], body["kind_label"]) == ("beamline", "Beamline")
    # The facility's detail links each of its instruments to it.
    instruments = api.get("/api/v1/facilities/ring/").json()["instruments"]
    assert [i["url"] for i in instruments] == ["http://localhost/api/v1/instruments/b16/"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"facility": "ring"}, ["b16"]),
        ({"facility": "ring,cyclotron"}, ["b16", "src"]),
        ({"technique": "xafs"}, ["b16"]),
        ({"kind": "instrument"}, ["src"]),
        ({"facility_energy_gev_min": "1"}, ["b16"]),
        ({"facility_energy_gev_max": "1"}, ["src"]),
        ({"facility_energy_gev_min": "0.1", "facility_energy_gev_max": "5"}, ["b16", "src"]),
        ({"q": "b16"}, ["b16"]),
    ],
)
def test_filters(api, beamlines, query, expected):
    assert slugs(api.get(URL, query)) == expected


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"facility": "not a slug"}, "facility"),
        ({"kind": "telescope"}, "kind"),
        ({"facility_energy_gev_min": "lots"}, "facility_energy_gev_min"),
        ({"energy": "3"}, "energy"),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(api, beamlines, query, bad):
    response = api.get(URL, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert bad in response.json()


def test_instruments_are_read_only(api, beamlines):
    assert api.post(URL, {"name": "X"}).status_code in (401, 403, 405)


def test_an_instrument_of_a_draft_facility_is_a_draft(api, staff_api, beamlines, settings):
    """One rule (selectors.PUBLIC_THROUGH): hidden from the public in its list, its detail,
    through the filters and in the records citing a source; staff see it."""
    settings.RESPONSE_CACHE_SECONDS = 0  # writes here never commit (test_cache_invalidation)
    assert "bl1" not in slugs(api.get(URL))
    assert api.get(f"{URL}bl1/").status_code == HTTPStatus.NOT_FOUND
    assert slugs(api.get(URL, {"facility": "draft-ring"})) == []
    assert slugs(api.get(URL, {"facility_energy_gev_min": "6"})) == []
    assert slugs(staff_api.get(URL, {"facility": "draft-ring"})) == ["bl1"]
    assert staff_api.get(f"{URL}bl1/").status_code == HTTPStatus.OK
    source = SourceFactory(slug="report")
    update(
        InstrumentFactory._meta.model._base_manager.get(slug="bl1"),
        sources=[citation("report")],
    )
    update(InstrumentFactory._meta.model.objects.get(slug="b16"), sources=[citation(source.slug)])
    cited_by = api.get("/api/v1/sources/report/").json()["cited_by"]["instruments"]
    assert [i["slug"] for i in cited_by] == ["b16"]
    staff_cited_by = staff_api.get("/api/v1/sources/report/").json()["cited_by"]["instruments"]
    assert sorted(i["slug"] for i in staff_cited_by) == ["b16", "bl1"]
    # Published again, its instrument is public again.
    update(Facility._base_manager.get(slug="draft-ring"), is_published=True)
    assert "bl1" in slugs(api.get(URL))


def test_the_api_root_lists_instruments(api):
    assert api.get("/api/v1/").json()["instruments"] == "http://localhost/api/v1/instruments/"


# --- Calls of a facility and of a programme -------------------------------------------------


@pytest.fixture
def calls(db):
    """A programme giving access to the ring with an open and a closed call; another one."""
    ring = FacilityFactory(slug="ring")
    access = ProgrammeFactory(slug="access", facilities=[ring])
    CallFactory(programme=access, slug="open-call")
    CallFactory(
        programme=access,
        slug="closed-call",
        opens_on=None,
        closes_at=timezone.now() - datetime.timedelta(days=30),
    )
    CallFactory(programme=ProgrammeFactory(slug="other"), slug="elsewhere")
    ProgrammeFactory(slug="draft", facilities=[ring], is_published=False)
    return ring


def test_a_facility_leads_to_its_programmes_calls(api, calls):
    link = api.get("/api/v1/facilities/ring/").json()["calls"]
    assert link == "http://localhost/api/v1/calls/?facility=ring"
    assert sorted(slugs(api.get(link))) == ["closed-call", "open-call"]
    statuses = {row["slug"]: row["status"] for row in api.get(link).json()["results"]}
    assert statuses == {"open-call": "open", "closed-call": "closed"}


def test_a_programme_leads_to_its_calls_of_every_status(api, calls):
    body = api.get("/api/v1/programmes/access/").json()
    assert [call["slug"] for call in body["open_calls"]] == ["open-call"]
    assert body["calls"] == "http://localhost/api/v1/calls/?programme=access"
    assert sorted(slugs(api.get(body["calls"]))) == ["closed-call", "open-call"]


def test_calls_of_a_draft_programme_do_not_show_through_the_facility(api, staff_api, calls):
    CallFactory(programme=ProgrammeFactory._meta.model._base_manager.get(slug="draft"))
    assert len(slugs(api.get("/api/v1/calls/?facility=ring"))) == 2
    assert len(slugs(staff_api.get("/api/v1/calls/?facility=ring"))) == 3


# --- Through the seed path -----------------------------------------------------------------


def test_on_the_seed_data(api, seed_data):
    assert slugs(api.get(URL)) == ["diamond-b16", "ribf-src"]
    assert slugs(api.get(URL, {"facility": "ribf"})) == ["ribf-src"]
    assert slugs(api.get(URL, {"technique": "radioactive-isotope-beams"})) == ["ribf-src"]
    diamond = api.get("/api/v1/facilities/diamond-light-source/").json()
    (b16,) = diamond["instruments"]
    answer = api.get(b16["url"]).json()
    assert answer["facility"]["slug"] == "diamond-light-source"
    assert api.get(diamond["calls"]).status_code == HTTPStatus.OK
    assert api.get(f"{URL}?format=csv").status_code == HTTPStatus.OK
    assert api.get(f"{URL}ribf-src/?format=jsonld").json()["@type"] == "Thing"
