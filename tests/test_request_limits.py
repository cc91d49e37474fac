"""Requests over the server's limits get a JSON 4xx naming the limit, not an HTML page."""

import pytest
from django.conf import settings

from config.errors import MAX_HEADER_FIELD_SIZE, MAX_HEADER_FIELDS, MAX_URL_LENGTH
from tests.test_api_write import client_for


@pytest.fixture
def editor(django_user_model):
    return client_for(django_user_model, "eddie", "editor")


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_upload_limit_is_a_json_413_naming_it(editor, content_type):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'{"name": "' + b"x" * limit + b'"}'
    response = editor.generic("POST", "/api/v1/facilities/", body, content_type=content_type)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["limit"] == limit
    assert str(limit) in response.json()["detail"]


def test_a_10000_character_q_is_a_json_400_naming_q(api):
    response = api.get("/api/v1/facilities/", {"q": "x" * 10_000})
    assert response.status_code == 400
    assert "200" in response.json()["q"][0]


@pytest.mark.parametrize("path", ["/api/v1/facilities/", "/api/v1/search/", "/api/v1/nowhere/"])
def test_a_url_over_the_limit_is_a_json_414_naming_it(api, path):
    response = api.get(path, {"q": "x" * MAX_URL_LENGTH})
    assert response.status_code == 414
    assert response.json()["limit"] == MAX_URL_LENGTH
    assert str(MAX_URL_LENGTH) in response.json()["detail"]


def test_a_long_url_elsewhere_is_a_plain_414(client, db):
    response = client.get("/embed/facilities/", {"q": "x" * MAX_URL_LENGTH})
    assert response.status_code == 414
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("headers", "limit"),
    [
        ({"HTTP_X_NOTE": "x" * MAX_HEADER_FIELD_SIZE}, MAX_HEADER_FIELD_SIZE),
        ({f"HTTP_X_NOTE_{n}": "x" for n in range(MAX_HEADER_FIELDS)}, MAX_HEADER_FIELDS),
    ],
)
def test_headers_over_the_limits_are_a_json_431_naming_it(api, headers, limit):
    response = api.get("/api/v1/facilities/", **headers)
    assert response.status_code == 431
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["limit"] == limit
    assert str(limit) in response.json()["detail"]


def test_headers_at_the_limits_are_read(api, db):
    name_and_separator = len("X-Note: ")
    response = api.get(
        "/api/v1/facilities/", HTTP_X_NOTE="x" * (MAX_HEADER_FIELD_SIZE - name_and_separator)
    )
    assert response.status_code == 200
