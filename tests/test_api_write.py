"""The write API: token auth, model permissions, optimistic concurrency, the model's rules."""

import threading
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from rest_framework.test import APIClient

from api.models import ApiToken
from directory.models import Facility, FacilityRole, Institution
from directory.roles import sync_role_groups
from tests.factories import (
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    TechniqueFactory,
    api_token,
    cited_source,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the citations of these tests name (tests.factories.citation)."""
    cited_source()


def client_for(django_user_model, username: str, role: str | None) -> APIClient:
    sync_role_groups()
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    client.user = user
    return client


@pytest.fixture
def curator(django_user_model):
    return client_for(django_user_model, "carol", "curator")


@pytest.fixture
def editor(django_user_model):
    return client_for(django_user_model, "eddie", "editor")


def facility_payload(**overrides):
    if not Institution.objects.filter(slug="qst").exists():
        InstitutionFactory(slug="qst", name="QST")
    TechniqueFactory(slug="xafs", name="XAFS")
    payload = {
        "slug": "test-light-source",
        "name": "Test Light Source",
        "name_ja": "試験用放射光施設",
        "kind": "synchrotron",
        "status": "planned",
        "country": "JP",
        "latitude": 38.25,
        "longitude": 140.83,
        "techniques": ["xafs"],
        "institutions": [{"institution": "qst", "role": "operator"}],
        "sources": [{"source": "test-source", "locator": "p. 1"}],
    }
    payload.update(overrides)
    return payload


def test_curator_creates_a_draft_with_relations_by_slug(curator):
    response = curator.post("/api/v1/facilities/", facility_payload(), format="json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response["Location"].endswith("/api/v1/facilities/test-light-source/")
    assert response["ETag"]
    body = response.json()
    assert body["name_ja"] == "試験用放射光施設"
    assert body["is_published"] is False
    assert [i["slug"] for i in body["institutions"]] == ["qst"]
    assert [t["slug"] for t in body["techniques"]] == ["xafs"]
    facility = Facility.objects.get(slug="test-light-source")
    assert facility.search_key == "|testlightsource|試験用放射光施設|"
    assert facility.history.first().history_user == curator.user


def test_curator_cannot_publish_editor_can(curator, editor):
    refused = curator.post("/api/v1/facilities/", facility_payload(is_published=True), "json")
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert "editor" in refused.json()["detail"]
    assert not Facility.objects.filter(slug="test-light-source").exists()
    created = editor.post("/api/v1/facilities/", facility_payload(is_published=True), "json")
    assert created.status_code == HTTPStatus.CREATED
    anonymous = APIClient(HTTP_HOST="localhost")
    assert anonymous.get("/api/v1/facilities/test-light-source/").status_code == HTTPStatus.OK


def test_update_needs_if_match(curator):
    FacilityFactory(slug="spring-8", name="SPring-8")
    url = "/api/v1/facilities/spring-8/"
    missing = curator.patch(url, {"city": "Sayo"}, format="json")
    assert missing.status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert "If-Match" in missing.json()["detail"]

    etag = curator.get(url)["ETag"]
    first = curator.patch(url, {"city": "Sayo"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == HTTPStatus.OK, first.json()
    assert first.json()["city"] == "Sayo"
    assert first["ETag"] != etag

    # A second curator who read the old version is refused, and nothing is overwritten.
    stale = curator.patch(url, {"city": "Kobe"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == HTTPStatus.PRECONDITION_FAILED
    assert Facility.objects.get(slug="spring-8").city == "Sayo"

    chained = curator.patch(url, {"city": "Hyogo"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert chained.status_code == HTTPStatus.OK


def test_etag_of_any_representation_is_accepted(curator):
    FacilityFactory(slug="spring-8", name="SPring-8", name_ja="大型放射光施設")
    japanese = curator.get("/api/v1/facilities/spring-8/?lang=ja")["ETag"]
    response = curator.patch(
        "/api/v1/facilities/spring-8/", {"city": "Sayo"}, format="json", HTTP_IF_MATCH=japanese
    )
    assert response.status_code == HTTPStatus.OK


def test_put_replaces_role_links(curator):
    created = curator.post("/api/v1/facilities/", facility_payload(), format="json")
    InstitutionFactory(slug="riken", name="RIKEN")
    payload = facility_payload(
        institutions=[{"institution": "riken", "role": "owner", "note": "owner"}]
    )
    response = curator.put(
        "/api/v1/facilities/test-light-source/",
        payload,
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    links = FacilityRole.objects.filter(facility__slug="test-light-source")
    assert [(link.institution.slug, link.role) for link in links] == [("riken", "owner")]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"latitude": 95}, "latitude", "Latitude must be between -90 and 90 degrees."),
        ({"longitude": None}, "longitude", "Give both latitude and longitude, or neither."),
        ({"country": "XX"}, "country", "does not exist"),
        ({"techniques": ["no-such-technique"]}, "techniques", "does not exist"),
        ({"kind": "spaceship"}, "kind", "is not a valid choice"),
        ({"slug": "Bad Slug!"}, "slug", "valid"),
        (
            {"construction_cost": "100", "construction_cost_currency": ""},
            "construction_cost_currency",
            "Construction cost needs a currency",
        ),
        ({"sources": [{"locator": "p. 1"}]}, "sources", "Source 1 needs a source"),
        (
            {"sources": [{"source": "no-such-report", "locator": "p. 1"}]},
            "sources",
            "Source 1 cites no-such-report, which is not a source record.",
        ),
        (
            {"institutions": [{"institution": "qst", "role": "emperor"}]},
            "institutions",
            "is not a valid choice",
        ),
    ],
)
def test_validation_errors_name_the_field(curator, overrides, field, message):
    response = curator.post("/api/v1/facilities/", facility_payload(**overrides), format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in str(response.json()[field]), response.json()
    assert not Facility.objects.filter(slug__in=["test-light-source", "Bad Slug!"]).exists()


def test_duplicate_slug_is_a_400(curator):
    FacilityFactory(slug="test-light-source")
    response = curator.post("/api/v1/facilities/", facility_payload(), format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "slug" in response.json()


def test_an_institution_slug_that_is_an_api_route_is_a_400(curator):
    payload = {
        "slug": "match",
        "name": "Match Institute",
        "kind": "university",
        "country": "GB",
        "sources": [{"source": "test-source", "locator": "p. 1"}],
    }
    response = curator.post("/api/v1/institutions/", payload, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "address of the API" in str(response.json()["slug"]), response.json()
    assert not Institution.objects.filter(slug="match").exists()


def test_curator_cannot_delete_editor_can_with_if_match(curator, editor):
    FacilityFactory(slug="spring-8")
    url = "/api/v1/facilities/spring-8/"
    etag = editor.get(url)["ETag"]
    assert curator.delete(url, HTTP_IF_MATCH=etag).status_code == HTTPStatus.FORBIDDEN
    assert editor.delete(url).status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert editor.delete(url, HTTP_IF_MATCH='"0-0"').status_code == HTTPStatus.PRECONDITION_FAILED
    assert editor.delete(url, HTTP_IF_MATCH=etag).status_code == HTTPStatus.NO_CONTENT
    assert not Facility.objects.filter(slug="spring-8").exists()
    assert Facility.history.filter(slug="spring-8", history_type="-").get().history_user


def test_user_without_role_gets_403(django_user_model):
    nobody = client_for(django_user_model, "nobody", None)
    response = nobody.post("/api/v1/facilities/", facility_payload(), format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_a_read_is_checked_without_building_the_queryset_twice(
    django_user_model, monkeypatch, method
):
    """Anyone may read (api.permissions): DRF's model-permission check would build the
    view's queryset a second time only to name its model."""
    from api.views import FacilityViewSet

    FacilityFactory(slug="spring-8")
    built = []
    original = FacilityViewSet.get_queryset

    def counted(view):
        built.append(view.action)
        return original(view)

    monkeypatch.setattr(FacilityViewSet, "get_queryset", counted)
    nobody = client_for(django_user_model, "reader", None)
    for client in (APIClient(), nobody):
        for url in ("/api/v1/facilities/?limit=7", "/api/v1/facilities/spring-8/?fields=slug"):
            if method == "options":
                url = url.split("?")[0]  # OPTIONS describes the endpoint: no parameters
            built.clear()
            response = getattr(client, method)(url, HTTP_ACCEPT="application/json")
            assert response.status_code == HTTPStatus.OK, (url, response.content[:200])
            # Once: for its records (OPTIONS: for the form of a write it describes).
            assert len(built) == 1, (method, url, built)


def test_a_write_still_needs_the_model_permission(django_user_model, curator):
    """Reads skip DRF's model-permission check, writes do not: a user without the role, and
    an anonymous caller, are refused every write method."""
    FacilityFactory(slug="spring-8")
    nobody = client_for(django_user_model, "nobody", None)
    url = "/api/v1/facilities/spring-8/"
    for client, refused in ((nobody, HTTPStatus.FORBIDDEN), (APIClient(), HTTPStatus.UNAUTHORIZED)):
        for method in ("post", "put", "patch", "delete"):
            target = "/api/v1/facilities/" if method == "post" else url
            response = getattr(client, method)(target, facility_payload(), format="json")
            assert response.status_code == refused, (method, response.status_code)
    assert Facility.objects.filter(slug="spring-8").exists()


def test_revoked_token_gets_401(curator):
    ApiToken.objects.filter(user=curator.user).delete()
    response = curator.post("/api/v1/facilities/", facility_payload(), format="json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    ("url", "payload"),
    [
        (
            "/api/v1/institutions/",
            {
                "slug": "stfc",
                "name": "STFC",
                "kind": "funding_agency",
                "country": "GB",
                "sources": [{"source": "test-source", "locator": "p. 1"}],
            },
        ),
        (
            "/api/v1/programmes/",
            {
                "slug": "new-call-scheme",
                "name": "New scheme",
                "kind": "bilateral_call",
                "status": "active",
                "countries": ["GB", "JP"],
                "institutions": [{"institution": "qst", "role": "funder"}],
            },
        ),
        ("/api/v1/techniques/", {"slug": "saxs", "name": "SAXS", "probe": "xray"}),
        ("/api/v1/fields/", {"slug": "geology", "name": "Geology"}),
        ("/api/v1/agreements/", {"slug": "mou-1", "name": "MOU", "kind": "mou"}),
    ],
)
def test_every_resource_is_writable(curator, url, payload):
    facility_payload()
    response = curator.post(url, payload, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["slug"] == payload["slug"]


def test_call_is_writable_with_its_programme_by_slug(curator):
    curator.post(
        "/api/v1/programmes/",
        {"slug": "p1", "name": "P1", "kind": "bilateral_call", "status": "active"},
        format="json",
    )
    response = curator.post(
        "/api/v1/calls/",
        {
            "slug": "p1-2027",
            "name": "P1 call 2027",
            "programme": "p1",
            "opens_on": "2027-01-10",
            "closes_at": "2027-03-01T12:00:00+09:00",
            "deadline_timezone": "Asia/Tokyo",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["closes_at_local"] == "2027-03-01T12:00:00+09:00"
    closes_before_opening = curator.post(
        "/api/v1/calls/",
        {
            "slug": "p1-bad",
            "name": "Bad",
            "programme": "p1",
            "opens_on": "2027-05-10",
            "closes_at": "2027-03-01T12:00:00+09:00",
        },
        format="json",
    )
    assert closes_before_opening.status_code == HTTPStatus.BAD_REQUEST
    assert "A call cannot close before it opens." in str(closes_before_opening.json())


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite has none)"
)
def test_two_writers_with_the_same_etag_one_wins_one_gets_412(reference_data, django_user_model):
    """The If-Match check and the write share one row lock, so a racing writer cannot slip in."""
    from django.db.models.signals import pre_save

    FacilityFactory(slug="spring-8", name="SPring-8", city="Sayo")
    first = client_for(django_user_model, "eddie", "editor")
    second = client_for(django_user_model, "erin", "editor")
    etag = first.get("/api/v1/facilities/spring-8/")["ETag"]

    inside, release = threading.Event(), threading.Event()

    def hold_the_first_writer(sender, instance, **kwargs):
        if sender is Facility and not inside.is_set():
            inside.set()
            release.wait(10)

    statuses = {}

    def patch(name, client, city):
        try:
            response = client.patch(
                "/api/v1/facilities/spring-8/", {"city": city}, format="json", HTTP_IF_MATCH=etag
            )
            statuses[name] = response.status_code
        finally:
            connections.close_all()

    pre_save.connect(hold_the_first_writer, dispatch_uid="race")
    try:
        one = threading.Thread(target=patch, args=("first", first, "Sayo-cho"))
        one.start()
        assert inside.wait(10), "the first writer never reached its save"
        two = threading.Thread(target=patch, args=("second", second, "Kamigori"))
        two.start()
        two.join(1.0)  # without the lock it would pass the check now and wait at its UPDATE
        release.set()
        one.join(10)
        two.join(10)
    finally:
        release.set()
        pre_save.disconnect(dispatch_uid="race")

    assert statuses == {"first": HTTPStatus.OK, "second": HTTPStatus.PRECONDITION_FAILED}
    assert Facility.objects.get(slug="spring-8").city == "Sayo-cho"


# --- every writable relation, by its API name ----------------------------------------------


@pytest.fixture
def related(db):
    """Records the relation fields refer to by slug."""
    from tests.factories import (
        AccessModeFactory,
        AgreementFactory,
        ProgrammeFactory,
        ResearchFieldFactory,
    )

    return {
        "qst": InstitutionFactory(slug="qst", name="QST"),
        "ukri": InstitutionFactory(slug="ukri", name="UKRI", country=country_of("GB")),
        "xafs": TechniqueFactory(slug="xafs", name="XAFS"),
        "peer": AccessModeFactory(),
        "quantum": ResearchFieldFactory(slug="quantum", name="Quantum"),
        "ring": FacilityFactory(slug="ring", name="Ring"),
        "scheme": ProgrammeFactory(slug="scheme", name="Scheme"),
        "mou": AgreementFactory(slug="mou", name="MOU"),
    }


def country_of(code):
    from tests.factories import country

    return country(code)


# (resource, detail slug, payload field, value written, how the detail shows it back)
RELATION_FIELDS = [
    ("facilities", "ring", "techniques", ["xafs"], ["xafs"]),
    ("facilities", "ring", "access_modes", ["peer-reviewed"], ["peer-reviewed"]),
    ("facilities", "ring", "research_fields", ["quantum"], ["quantum"]),
    (
        "facilities",
        "ring",
        "institutions",
        [{"institution": "qst", "role": "operator"}],
        [("qst", "operator")],
    ),
    ("facilities", "ring", "country", "GB", "GB"),
    ("programmes", "scheme", "countries", ["GB", "JP"], ["GB", "JP"]),
    ("programmes", "scheme", "research_fields", ["quantum"], ["quantum"]),
    ("programmes", "scheme", "facilities", ["ring"], ["ring"]),
    (
        "programmes",
        "scheme",
        "institutions",
        [{"institution": "ukri", "role": "funder"}],
        [("ukri", "funder")],
    ),
    ("institutions", "qst", "parent", "ukri", "ukri"),
    ("institutions", "qst", "country", "GB", "GB"),
    ("agreements", "mou", "institutions", ["qst", "ukri"], ["qst", "ukri"]),
    ("agreements", "mou", "facilities", ["ring"], ["ring"]),
]


def shown_back(value):
    if isinstance(value, dict):
        return value.get("slug") or value.get("code")
    if isinstance(value, list):
        shown = []
        for item in value:
            if "roles" in item:  # one entry per related record, with its roles
                shown += [(item["slug"], role["role"]) for role in item["roles"]]
            else:
                shown.append(item.get("slug") or item.get("code"))
        return sorted(shown)
    return value


@pytest.mark.parametrize(("resource", "slug", "field", "value", "expected"), RELATION_FIELDS)
def test_every_relation_is_written_by_its_api_name(
    editor, related, resource, slug, field, value, expected
):
    url = f"/api/v1/{resource}/{slug}/"
    response = editor.patch(url, {field: value}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == HTTPStatus.OK, response.json()
    wanted = sorted(expected) if isinstance(expected, list) else expected
    assert shown_back(response.json()[field]) == wanted
    assert shown_back(editor.get(url).json()[field]) == wanted


@pytest.mark.parametrize(("resource", "slug", "field", "value", "expected"), RELATION_FIELDS)
def test_an_unknown_related_slug_is_a_400_naming_the_field(
    editor, related, resource, slug, field, value, expected
):
    if isinstance(value, list) and value and isinstance(value[0], dict):
        bad = [{**value[0], "institution": "no-such-record"}]
    elif isinstance(value, list):
        bad = ["no-such-record"]
    else:
        bad = "XX" if field == "country" else "no-such-record"
    response = editor.patch(
        f"/api/v1/{resource}/{slug}/", {field: bad}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == [field], response.json()


def test_research_fields_on_create(editor, related):
    """Any write that set research_fields answered 500 (the model's name is "fields")."""
    response = editor.post(
        "/api/v1/programmes/",
        {
            "slug": "new-scheme",
            "name": "New scheme",
            "kind": "bilateral_call",
            "status": "active",
            "research_fields": ["quantum"],
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert [f["slug"] for f in response.json()["research_fields"]] == ["quantum"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ring\x00"),
        ("sources", [{"source": "test-source", "locator": "A\x00B"}]),
        ("aliases", ["Ri\x00ng"]),
        ("description", "x\x00"),
    ],
)
def test_a_nul_character_is_a_400_naming_the_field(editor, related, field, value):
    response = editor.patch(
        "/api/v1/facilities/ring/", {field: value}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json(), response.json()
    assert Facility.objects.get(slug="ring").name == "Ring"


def test_a_deadline_without_an_offset_is_the_funders_local_time(editor, related):
    response = editor.post(
        "/api/v1/calls/",
        {
            "slug": "scheme-2027",
            "name": "Scheme 2027",
            "programme": "scheme",
            "closes_at": "2027-01-31T12:00:00",
            "deadline_timezone": "Asia/Tokyo",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["closes_at"] == "2027-01-31T03:00:00Z"
    assert response.json()["closes_at_local"] == "2027-01-31T12:00:00+09:00"
    skipped = editor.patch(
        "/api/v1/calls/scheme-2027/",
        {"closes_at": "2027-03-28T01:30:00", "deadline_timezone": "Europe/London"},
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert skipped.status_code == HTTPStatus.BAD_REQUEST
    assert "does not exist in Europe/London" in str(skipped.json()["closes_at"])


def test_deleting_a_record_others_depend_on_is_a_409(editor, related):
    FacilityRoleFactory(facility=related["ring"], institution=related["qst"])
    response = editor.delete("/api/v1/institutions/qst/", HTTP_IF_MATCH="*")
    assert response.status_code == HTTPStatus.CONFLICT
    assert "Ring" in response.json()["detail"]
    assert Institution.objects.filter(slug="qst").exists()


def test_a_write_the_database_refuses_after_validation_is_a_400(editor, related, monkeypatch):
    """Two writers creating the same slug at once: both pass validation, the database
    refuses the second row. That is the writer's conflict, not a server error."""
    from rest_framework.validators import UniqueValidator

    monkeypatch.setattr(Facility, "validate_unique", lambda self, exclude=None: None)
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    response = editor.post(
        "/api/v1/facilities/",
        {
            "slug": "ring",
            "name": "Second Ring",
            "kind": "synchrotron",
            "status": "planned",
            "country": "JP",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert "another one changed the same records" in str(response.json())
    assert Facility.objects.get(slug="ring").name == "Ring"
