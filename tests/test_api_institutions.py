"""The institution list and detail (filters, roles, related records), and the agreement,
technique and research-field endpoints."""

import datetime
from http import HTTPStatus

import pytest

from directory.choices import (
    AgreementKind,
    FacilityKind,
    FacilityRoleKind,
    InstitutionKind,
    Probe,
    ProgrammeRoleKind,
)
from directory.models import Institution
from tests.factories import (
    AgreementFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    ResearchFieldFactory,
    TechniqueFactory,
    country,
    direct_writes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/institutions/"


def found(response) -> list[str]:
    """Sorted slugs of a list response's results (asserts a 200 first)."""
    assert response.status_code == HTTPStatus.OK, response.content
    return sorted(row["slug"] for row in response.json()["results"])


# --- Institution filters -------------------------------------------------------------------


def test_q(api):
    InstitutionFactory(slug="riken", name="RIKEN", name_ja="理化学研究所")
    InstitutionFactory(
        slug="stfc", name="Science and Technology Facilities Council", acronym="STFC"
    )
    assert found(api.get(URL, {"q": "riken"})) == ["riken"]
    assert found(api.get(URL, {"q": "理化学"})) == ["riken"]
    assert found(api.get(URL, {"q": "stfc"})) == ["stfc"]
    assert found(api.get(URL, {"q": "facilities council"})) == ["stfc"]


def test_kind(api):
    InstitutionFactory(slug="tohoku", kind=InstitutionKind.UNIVERSITY)
    InstitutionFactory(slug="jst", kind=InstitutionKind.FUNDING_AGENCY)
    InstitutionFactory(slug="mext", kind=InstitutionKind.MINISTRY)
    assert found(api.get(URL, {"kind": "university"})) == ["tohoku"]
    assert found(api.get(URL, {"kind": "university,ministry"})) == ["mext", "tohoku"]


def test_country(api):
    InstitutionFactory(slug="riken", country=country("JP"))
    InstitutionFactory(slug="stfc", country=country("GB"))
    InstitutionFactory(slug="cnrs", country=country("FR"))
    assert found(api.get(URL, {"country": "GB"})) == ["stfc"]
    assert found(api.get(f"{URL}?country=GB&country=fr")) == ["cnrs", "stfc"]


def test_parent(api):
    ukri = InstitutionFactory(slug="ukri")
    InstitutionFactory(slug="stfc", parent=ukri)
    InstitutionFactory(slug="epsrc", parent=ukri)
    InstitutionFactory(slug="riken")
    assert found(api.get(URL, {"parent": "ukri"})) == ["epsrc", "stfc"]
    body = api.get(f"{URL}stfc/").json()
    assert body["parent"]["slug"] == "ukri"
    assert body["parent"]["url"] == "http://localhost/api/v1/institutions/ukri/"


def test_unpublished_parent_is_not_shown(api):
    secret = InstitutionFactory(slug="secret", is_published=False)
    InstitutionFactory(slug="child", parent=secret)
    assert api.get(f"{URL}child/").json()["parent"] is None


@pytest.mark.parametrize("value", ["01dq60k83", "01DQ60K83", "https://ror.org/01dq60k83"])
def test_ror_id(api, value):
    InstitutionFactory(slug="tohoku", ror_id="01dq60k83")
    InstitutionFactory(slug="other", ror_id="057zh3y96")
    InstitutionFactory(slug="none")
    assert found(api.get(URL, {"ror_id": value})) == ["tohoku"]


def test_ror_id_several_values(api):
    InstitutionFactory(slug="tohoku", ror_id="01dq60k83")
    InstitutionFactory(slug="other", ror_id="057zh3y96")
    InstitutionFactory(slug="none")
    assert found(api.get(URL, {"ror_id": "01dq60k83,057zh3y96"})) == ["other", "tohoku"]


def test_role_operator(api):
    operator = InstitutionFactory(slug="operator")
    FacilityRoleFactory(institution=operator)
    FacilityRoleFactory(institution=InstitutionFactory(slug="owner"), role=FacilityRoleKind.OWNER)
    InstitutionFactory(slug="unlinked")
    assert found(api.get(URL, {"role": "operator"})) == ["operator"]
    assert found(api.get(URL, {"role": "operator,owner"})) == ["operator", "owner"]


def test_role_funder_covers_facilities_and_programmes(api):
    FacilityRoleFactory(
        institution=InstitutionFactory(slug="facility-funder"), role=FacilityRoleKind.FUNDER
    )
    ProgrammeRoleFactory(institution=InstitutionFactory(slug="programme-funder"))
    ProgrammeRoleFactory(
        institution=InstitutionFactory(slug="agency"), role=ProgrammeRoleKind.IMPLEMENTING_AGENCY
    )
    FacilityRoleFactory(institution=InstitutionFactory(slug="operator"))
    assert found(api.get(URL, {"role": "funder"})) == ["facility-funder", "programme-funder"]
    assert found(api.get(URL, {"role": "implementing_agency"})) == ["agency"]


def test_facility_kind_alone(api):
    spallation = FacilityFactory(kind=FacilityKind.SPALLATION_NEUTRON)
    FacilityRoleFactory(facility=spallation, institution=InstitutionFactory(slug="operator"))
    FacilityRoleFactory(
        facility=spallation,
        institution=InstitutionFactory(slug="funder"),
        role=FacilityRoleKind.FUNDER,
    )
    FacilityRoleFactory(institution=InstitutionFactory(slug="synchrotron-operator"))
    assert found(api.get(URL, {"facility_kind": "spallation_neutron"})) == ["funder", "operator"]


def test_role_combined_with_facility_kind_goes_through_that_role(api):
    """role=operator&facility_kind=spallation_neutron: operators of a neutron source only,
    not institutions that fund one (even if they operate something else)."""
    neutron = FacilityFactory(kind=FacilityKind.SPALLATION_NEUTRON)
    synchrotron = FacilityFactory(kind=FacilityKind.SYNCHROTRON)
    FacilityRoleFactory(facility=neutron, institution=InstitutionFactory(slug="jaea"))
    funder = InstitutionFactory(slug="mext")
    FacilityRoleFactory(facility=neutron, institution=funder, role=FacilityRoleKind.FUNDER)
    FacilityRoleFactory(facility=synchrotron, institution=funder)
    FacilityRoleFactory(facility=synchrotron, institution=InstitutionFactory(slug="jasri"))
    query = {"role": "operator", "facility_kind": "spallation_neutron"}
    assert found(api.get(URL, query)) == ["jaea"]
    assert found(api.get(f"{URL}?facility_kind=spallation_neutron&role=funder")) == ["mext"]


def test_updated_since(api):
    InstitutionFactory(slug="fresh")
    stale = InstitutionFactory(slug="stale")
    with direct_writes():  # a record last changed in 2020
        Institution.objects.filter(pk=stale.pk).update(
            updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )
    assert found(api.get(URL, {"updated_since": "2021-01-01"})) == ["fresh"]


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"kind": "club"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"role": "sponsor"}, "role"),
        ({"facility_kind": "telescope"}, "facility_kind"),
        ({"parent": "a b"}, "parent"),
        ({"updated_since": "2024-1"}, "updated_since"),
        ({"ordering": "size"}, "ordering"),
        ({"facets": "status"}, "facets"),
    ],
)
def test_bad_value_gives_400_naming_the_parameter(api, query, bad):
    response = api.get(URL, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert bad in response.json()


# --- Institution payload -----------------------------------------------------------------


def test_facilities_and_programmes_with_roles(api):
    """An institution lists its facilities and programmes, each with its role and label."""
    riken = InstitutionFactory(slug="riken", name="RIKEN")
    FacilityRoleFactory(
        institution=riken, facility=FacilityFactory(slug="spring-8", name="SPring-8")
    )
    FacilityRoleFactory(
        institution=riken,
        facility=FacilityFactory(slug="sacla", name="SACLA"),
        role=FacilityRoleKind.OWNER,
    )
    FacilityRoleFactory(
        institution=riken, facility=FacilityFactory(slug="draft", is_published=False)
    )
    ProgrammeRoleFactory(
        institution=riken,
        programme=ProgrammeFactory(slug="qleap"),
        role=ProgrammeRoleKind.PARTNER,
    )
    for response in (api.get(f"{URL}riken/"), api.get(URL)):
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        record = body if "slug" in body else body["results"][0]
        facilities = {
            (f["slug"], r["role"], r["role_label"])
            for f in record["facilities"]
            for r in f["roles"]
        }
        assert facilities == {("spring-8", "operator", "Operator"), ("sacla", "owner", "Owner")}
        assert [(p["slug"], [r["role"] for r in p["roles"]]) for p in record["programmes"]] == [
            ("qleap", ["partner"])
        ]
        assert record["facilities"][0]["url"].startswith("http://localhost/api/v1/facilities/")


def test_detail_lists_agreements(api):
    riken = InstitutionFactory(slug="riken")
    AgreementFactory(slug="mou").institutions.add(riken)
    AgreementFactory(slug="secret", is_published=False).institutions.add(riken)
    body = api.get(f"{URL}riken/").json()
    assert [a["slug"] for a in body["agreements"]] == ["mou"]


def test_ror_url_in_payload(api):
    InstitutionFactory(slug="tohoku", ror_id="01dq60k83")
    body = api.get(f"{URL}tohoku/").json()
    assert body["ror_id"] == "01dq60k83"
    assert body["ror_url"] == "https://ror.org/01dq60k83"


def test_unknown_and_unpublished_institutions_are_404(api, staff_api):
    InstitutionFactory(slug="draft", is_published=False)
    assert api.get(f"{URL}nothing/").status_code == HTTPStatus.NOT_FOUND
    assert api.get(f"{URL}draft/").status_code == HTTPStatus.NOT_FOUND
    assert staff_api.get(f"{URL}draft/").status_code == HTTPStatus.OK


# --- Agreements ---------------------------------------------------------------------------


def test_agreements_list_filters_and_detail(api):
    jaea, ess = InstitutionFactory(slug="jaea"), InstitutionFactory(slug="ess")
    jparc = FacilityFactory(slug="j-parc")
    arrangement = AgreementFactory(
        slug="jparc-ess", name="J-PARC–ESS arrangement", kind=AgreementKind.COOPERATION_ARRANGEMENT
    )
    arrangement.institutions.add(jaea, ess)
    arrangement.facilities.add(jparc)
    AgreementFactory(slug="other-mou", kind=AgreementKind.MOU)
    AgreementFactory(slug="draft", is_published=False)

    assert found(api.get("/api/v1/agreements/")) == ["jparc-ess", "other-mou"]
    assert found(api.get("/api/v1/agreements/", {"kind": "cooperation_arrangement"})) == [
        "jparc-ess"
    ]
    assert found(api.get("/api/v1/agreements/", {"institution": "ess"})) == ["jparc-ess"]
    assert found(api.get("/api/v1/agreements/", {"facility": "j-parc"})) == ["jparc-ess"]
    assert found(api.get("/api/v1/agreements/", {"q": "jparc"})) == ["jparc-ess"]

    response = api.get("/api/v1/agreements/jparc-ess/")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["kind_label"] == "Cooperation arrangement"
    assert sorted(i["slug"] for i in body["institutions"]) == ["ess", "jaea"]
    assert [f["slug"] for f in body["facilities"]] == ["j-parc"]
    assert api.get("/api/v1/agreements/draft/").status_code == HTTPStatus.NOT_FOUND


def test_agreements_bad_kind_is_400(api):
    response = api.get("/api/v1/agreements/", {"kind": "treaty"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "kind" in response.json()


# --- Techniques and research fields ----------------------------------------------------------


def test_techniques_list_filter_and_detail(api):
    saxs = TechniqueFactory(slug="saxs", name="Small-angle X-ray scattering", probe=Probe.XRAY)
    TechniqueFactory(slug="sans", name="Small-angle neutron scattering", probe=Probe.NEUTRON)
    TechniqueFactory(slug="draft", is_published=False)
    FacilityFactory(slug="diamond").techniques.add(saxs)
    FacilityFactory(slug="hidden", is_published=False).techniques.add(saxs)

    assert found(api.get("/api/v1/techniques/")) == ["sans", "saxs"]
    assert found(api.get("/api/v1/techniques/", {"probe": "neutron"})) == ["sans"]
    assert found(api.get("/api/v1/techniques/", {"q": "neutron scattering"})) == ["sans"]

    body = api.get("/api/v1/techniques/saxs/").json()
    assert body["probe_label"] == "X-ray"
    assert [f["slug"] for f in body["facilities"]] == ["diamond"]
    assert api.get("/api/v1/techniques/draft/").status_code == HTTPStatus.NOT_FOUND
    bad = api.get("/api/v1/techniques/", {"probe": "gamma"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "probe" in bad.json()


def test_fields_list_and_detail(api):
    quantum = ResearchFieldFactory(slug="quantum", name="Quantum technology", name_ja="量子技術")
    ResearchFieldFactory(slug="biology", name="Structural biology")
    FacilityFactory(slug="nanoterasu").fields.add(quantum)
    ProgrammeFactory(slug="qleap").fields.add(quantum)

    assert found(api.get("/api/v1/fields/")) == ["biology", "quantum"]
    assert found(api.get("/api/v1/fields/", {"q": "量子"})) == ["quantum"]
    body = api.get("/api/v1/fields/quantum/").json()
    assert body["name_ja"] == "量子技術"
    assert [f["slug"] for f in body["facilities"]] == ["nanoterasu"]
    assert [p["slug"] for p in body["programmes"]] == ["qleap"]
    assert api.get("/api/v1/fields/nothing/").status_code == HTTPStatus.NOT_FOUND
