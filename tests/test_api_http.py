"""HTTP behaviour of the API: validators and 304s, caching policy, CORS, throttling, errors."""

from http import HTTPStatus

import pytest
from django.db.models import F
from django.utils.http import http_date
from rest_framework.settings import api_settings

from config.throttles import AnonymousRateThrottle
from directory.models import DirectoryState
from tests.factories import FacilityFactory, update

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/",
    "/api/v1/facilities/",
    "/api/v1/facilities/spring-8/",
    "/api/v1/programmes/",
    "/api/v1/calls/",
    "/api/v1/institutions/",
    "/api/v1/agreements/",
    "/api/v1/techniques/",
    "/api/v1/fields/",
    "/api/v1/search/?q=spring",
]


@pytest.fixture
def facility(db):
    return FacilityFactory(slug="spring-8", name="SPring-8")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_get_carries_validators_and_caching_policy(api, facility, url):
    response = api.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"].startswith("public, max-age=")
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_if_none_match_gives_304(api, facility, url):
    etag = api.get(url)["ETag"]
    revalidated = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert revalidated.status_code == HTTPStatus.NOT_MODIFIED
    assert revalidated.content == b""
    assert api.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == HTTPStatus.OK


def test_if_modified_since_gives_304_until_a_write(
    api, facility, django_capture_on_commit_callbacks
):
    last_modified = api.get("/api/v1/facilities/")["Last-Modified"]
    again = api.get("/api/v1/facilities/", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert again.status_code == HTTPStatus.NOT_MODIFIED

    with django_capture_on_commit_callbacks(execute=True):
        FacilityFactory(name="A newer facility")
    state = DirectoryState.current()
    assert http_date(state.changed_at.timestamp()) >= last_modified
    # A second later the directory has changed (as a committed write leaves the marker: a
    # later time and a new generation): the old date no longer validates.
    later = state.changed_at.replace(year=state.changed_at.year + 1)
    DirectoryState.objects.filter(pk=state.pk).update(
        changed_at=later,
        generation=F("generation") + 1,
        kinds={"facility": {"generation": state.generation + 1, "changed_at": later.isoformat()}},
    )
    assert (
        api.get("/api/v1/facilities/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code
        == HTTPStatus.OK
    )


def test_etag_changes_when_the_content_changes(reference_data, api):
    # Writes really commit here: the response cache only learns of committed writes.
    facility = FacilityFactory(slug="spring-8", name="SPring-8")
    before = api.get("/api/v1/facilities/spring-8/")["ETag"]
    update(facility, city="Sayo")
    after = api.get("/api/v1/facilities/spring-8/")["ETag"]
    assert before != after


def test_etag_differs_by_language(api, facility):
    update(facility, name_ja="大型放射光施設")
    english = api.get("/api/v1/facilities/spring-8/")["ETag"]
    japanese = api.get("/api/v1/facilities/spring-8/?lang=ja")["ETag"]
    assert english != japanese


def test_cache_max_age_is_configurable(api, facility, settings):
    settings.API_CACHE_MAX_AGE = 123
    assert api.get("/api/v1/facilities/")["Cache-Control"] == "public, max-age=123"


def test_staff_answers_are_private(staff_api, facility):
    assert staff_api.get("/api/v1/facilities/")["Cache-Control"].startswith("private")


class TestCors:
    def test_reads_are_open_to_any_origin(self, api, facility):
        response = api.get("/api/v1/facilities/", HTTP_ORIGIN="https://partner.example")
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in response["Access-Control-Expose-Headers"]

    def test_preflight_allows_reads_only(self, api):
        response = api.options(
            "/api/v1/facilities/",
            HTTP_ORIGIN="https://partner.example",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        )
        allowed = response["Access-Control-Allow-Methods"]
        assert "GET" in allowed
        assert "POST" not in allowed
        assert "DELETE" not in allowed

    def test_admin_has_no_cors(self, client):
        response = client.get("/admin/login/", HTTP_ORIGIN="https://partner.example")
        assert "Access-Control-Allow-Origin" not in response


def test_anonymous_writes_are_refused_with_401(api, facility):
    for method, url in [
        ("post", "/api/v1/facilities/"),
        ("put", "/api/v1/facilities/spring-8/"),
        ("patch", "/api/v1/facilities/spring-8/"),
        ("delete", "/api/v1/facilities/spring-8/"),
    ]:
        response = getattr(api, method)(url, {}, format="json")
        assert response.status_code == HTTPStatus.UNAUTHORIZED, method
        assert response["Content-Type"].startswith("application/json")
        assert response["WWW-Authenticate"].startswith("Token")


def test_anonymous_throttling_answers_429_with_retry_after(api, facility, monkeypatch):
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    statuses = [api.get("/api/v1/facilities/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/facilities/")
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()
    assert api_settings.DEFAULT_THROTTLE_RATES["anon"]  # the real rate comes from settings


class TestErrors:
    def test_unknown_path_is_json_404(self, api):
        response = api.get("/api/v1/no-such-thing/")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "detail" in response.json()

    def test_unknown_slug_is_json_404(self, api):
        response = api.get("/api/v1/facilities/does-not-exist/")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["detail"]

    @pytest.mark.parametrize(
        "url",
        [
            "/api/v1/facilities/?limit=-1",
            "/api/v1/facilities/?bbox=1,2,3",
            "/api/v1/facilities/?near=91,0&radius_km=5",
            "/api/v1/facilities/?updated_since=2024-02-30",
            "/api/v1/facilities/?energy_gev_min=high",
            "/api/v1/facilities/?lang=xx",
            "/api/v1/facilities/spring-8/?bogus=1",
            "/api/v1/search/",
        ],
    )
    def test_bad_input_is_a_json_400_naming_the_parameter(self, api, facility, url):
        response = api.get(url)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        body = response.json()
        parameter = url.split("?")[1].split("=")[0] if "?" in url else "q"
        assert parameter in body, body


def test_unpublished_records_are_hidden_from_anonymous_users(api, staff_api):
    FacilityFactory(slug="draft-source", is_published=False)
    assert api.get("/api/v1/facilities/draft-source/").status_code == HTTPStatus.NOT_FOUND
    assert api.get("/api/v1/facilities/").json()["count"] == 0
    assert staff_api.get("/api/v1/facilities/draft-source/").status_code == HTTPStatus.OK


def test_a_transaction_bumps_the_change_marker_once(django_capture_on_commit_callbacks):
    before = DirectoryState.current().generation
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from django.db import transaction

        with transaction.atomic():
            for number in range(5):
                FacilityFactory(slug=f"bulk-{number}")
    assert len(callbacks) == 1
    assert DirectoryState.current().generation == before + 1
