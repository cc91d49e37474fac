"""Bad input in the address and in JSON bodies: a 400 naming the problem, never a 500.

* NUL characters (config/nul_characters.py): PostgreSQL refuses them in text, so before any
  view every parameter, path and cookie holding one is a 400 (JSON under /api/ and /oembed).
  Run these on PostgreSQL too (DATABASE_URL=postgres://…), where they were 500s.
* JSON nested too deep (api/parsers.py, directory/jsonlimits.py): Python's parser raises
  RecursionError, which DRF let through as a 500.
"""

from __future__ import annotations

import json
import time
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from directory import jsonlimits
from directory.models import Facility
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "Contains a NUL character (%00), which no parameter accepts."

# --- NUL characters ----------------------------------------------------------------------------

#: (address, parameter named in the answer): every list endpoint, the other API views, the
#: calendar feed, the widgets, their builder and oEmbed.
API_ADDRESSES = [
    ("/api/v1/facilities/?country=%00", "country"),
    ("/api/v1/programmes/?country=J%00", "country"),
    ("/api/v1/calls/?status=open%00", "status"),
    ("/api/v1/institutions/?ror_id=%00", "ror_id"),
    ("/api/v1/institutions/?ror_id=https://ror.org/01%00", "ror_id"),
    ("/api/v1/agreements/?q=a%00", "q"),
    ("/api/v1/techniques/?q=%00", "q"),
    ("/api/v1/fields/?ordering=%00name", "ordering"),
    ("/api/v1/facilities/?limit=10&offset=%00", "offset"),
    ("/api/v1/facilities/spring-8/?lang=%00", "lang"),
    ("/api/v1/facilities/?co%00untry=JP", "co\x00untry"),
    ("/api/v1/search/?q=spring%00", "q"),
    ("/api/v1/changes/?since=%00", "since"),
    ("/api/v1/calls.ics?country=%00", "country"),
    ("/oembed?url=http://localhost/embed/facilities/%00", "url"),
]
PAGE_ADDRESSES = [
    ("/embed/facilities/?q=%00", "q"),
    ("/embed/programmes/?country=%00", "country"),
    ("/embed/calls/?status=open&theme=%00", "theme"),
    ("/embed/?resource=facilities&q=%00", "q"),
    ("/feeds/changes.atom?x=%00", "x"),
]


@pytest.mark.parametrize(("address", "name"), API_ADDRESSES)
def test_a_nul_in_an_api_parameter_is_a_400_naming_it(api, address, name):
    FacilityFactory(slug="spring-8")

    response = api.get(address)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/json"
    assert response.json() == {name: [NUL_MESSAGE]}


@pytest.mark.parametrize(("address", "name"), PAGE_ADDRESSES)
def test_a_nul_in_a_page_parameter_is_a_400_naming_it(client, address, name):
    response = client.get(address)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"Parameter {name}: {NUL_MESSAGE}" in response.content.decode()


def test_a_nul_in_an_admin_list_filter_is_a_400(admin_client):
    response = admin_client.get("/admin/directory/institution/?ror_id=%00")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f"Parameter ror_id: {NUL_MESSAGE}" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/api/v1/facilities/a%00b/", "/api/v1/fac%00ilities/", "/oembed%00"]
)
def test_a_nul_in_an_api_path_is_a_json_400(api, path):
    response = api.get(path)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "detail": "The path of the address contains a NUL character (%00), which no page has."
    }


@pytest.mark.parametrize(
    "path", ["/embed/facilities%00/", "/admin/directory/facility/a%00b/history/"]
)
def test_a_nul_in_a_page_path_is_a_400(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The path of the address contains a NUL character" in response.content.decode()


def test_a_session_cookie_with_an_escaped_nul_is_a_400_naming_the_cookie(db):
    """``"…\\000…"`` is a valid header line (gunicorn passes it); the cookie parser decodes
    the octal escape to a NUL, which the session lookup sent to the database."""
    client = APIClient(HTTP_HOST="localhost", HTTP_COOKIE='sessionid="abcdefgh\\000ijklmnop"')

    response = client.get("/api/v1/facilities/")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "detail": "The cookie sessionid contains a NUL character; delete it and try again."
    }


def test_the_400_for_a_nul_is_readable_by_partner_pages(api):
    response = api.get("/api/v1/institutions/?ror_id=%00", HTTP_ORIGIN="https://partner.example")

    assert response.json() == {"ror_id": [NUL_MESSAGE]}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_an_encoded_percent_sign_is_text_not_a_nul(api):
    """``%2500`` is the three characters ``%00``: searched for, not refused."""
    FacilityFactory(slug="spring-8", name="SPring-8", is_published=True)

    response = api.get("/api/v1/facilities/?q=%2500")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 0


# --- JSON nested too deep ------------------------------------------------------------------


@pytest.fixture
def writer(db, django_user_model) -> APIClient:
    """A client allowed every write (sessions: no CSRF check in APIClient)."""
    user = django_user_model.objects.create_superuser("writer", "writer@example.org", "x")
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def post(client, body: str | bytes):
    return client.post("/api/v1/facilities/", body, content_type="application/json")


TOO_DEEP = (
    "JSON parse error - The body is JSON nested too deep: arrays and objects may be nested "
    "at most 64 levels deep."
)


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_a_body_nested_too_deep_is_a_400_saying_so(writer, depth):
    started = time.perf_counter()

    response = post(writer, nested(depth))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": TOO_DEEP}
    assert time.perf_counter() - started < 5  # refused at once, whatever the depth
    assert not Facility.objects.exists()


def test_a_field_nested_too_deep_is_refused_with_the_body(writer):
    body = '{"slug": "deep", "name": "Deep", "sources": ' + nested(64) + "}"  # 65 with the body

    response = post(writer, body)

    assert response.json() == {"detail": TOO_DEEP}


def test_a_body_64_deep_is_parsed_and_validated_as_usual(writer):
    body = '{"slug": "deep", "name": "Deep", "sources": ' + nested(63) + "}"

    response = post(writer, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "JSON parse error" not in response.content.decode()  # the serializer's own 400
    assert "sources" in response.json()


def test_brackets_inside_strings_do_not_count(writer):
    body = json.dumps({"slug": "brackets", "name": "[" * 1_000 + "{" * 1_000, "kind": "?"})

    response = post(writer, body)

    assert "JSON parse error" not in response.content.decode()
    assert "kind" in response.json()  # validated: the name's brackets were only text


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            "spring-8",
            "JSON parse error - The body is not valid JSON: expecting a value at line 1, column 1.",
        ),
        (
            '{"name": }',
            "JSON parse error - The body is not valid JSON: expecting a value at line 1, "
            "column 10.",
        ),
        (b'{"name": "\xff"}', "JSON parse error - the body is not valid utf-8 text."),
    ],
)
def test_a_body_that_is_not_json_is_a_400_in_words(writer, body, detail):
    response = writer.post("/api/v1/facilities/", body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": detail}


def test_jsonlimits_loads_refuses_depth_beyond_the_limit_with_a_value_error():
    """The contract other readers of user JSON (directory.portable) rely on."""
    assert jsonlimits.loads(nested(64)) == json.loads(nested(64))
    assert jsonlimits.loads('{"a": [{"b": "[[[["}]}', max_depth=3) == {"a": [{"b": "[[[["}]}
    for text, max_depth in ((nested(65), 64), (nested(100_000), 64), ('{"a": [{}]}', 2)):
        with pytest.raises(ValueError, match="nested at most") as raised:
            jsonlimits.loads(text, max_depth=max_depth)
        assert isinstance(raised.value, jsonlimits.JSONTooDeep)
    with pytest.raises(json.JSONDecodeError):
        jsonlimits.loads("[1,")
