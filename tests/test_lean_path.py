"""The lean request path (config/request_stacks.py): anonymous reads of the API, the widgets,
the feeds and oEmbed skip messages, history attribution and django-axes, and answer
exactly as the full stack does — every header (but the per-request id and date) and every
byte of the body; signed-in, token-authenticated and unsafe requests keep the full stack, so
the admin and the writes keep CSRF, sessions and history attribution."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from config.request_stacks import FULL, LEAN, STACK_ATTRIBUTE
from directory.models import Facility
from directory.roles import sync_role_groups
from tests.factories import FacilityFactory, api_token, cited_source, country
from tests.test_api_write import facility_payload
from tests.test_history import change_through_admin

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([^']+)'")
MASKED_CSRF_TOKEN = re.compile(rb"\b[A-Za-z0-9]{64}\b")
#: Headers that differ from one request to the next whatever the stack.
#: Headers whose values are the request's own: its id and its time (``Expires`` on a
#: never-cached page such as the admin's sign-in is the moment of the answer).
PER_REQUEST = {"x-request-id", "date", "expires"}

SLUG = "lean-light-source"

#: Every kind of answer: API list (a miss, then the same again from the response cache),
#: detail, 404, 400, HEAD and OPTIONS, the schema and both documentation pages, a widget, the
#: Atom feed, oEmbed, a static file, the landing page, the admin's sign-in page and the site's
#: own 404 page.
URLS = [
    ("GET", "/api/v1/facilities/"),
    ("GET", "/api/v1/facilities/?country=JP"),
    ("GET", f"/api/v1/facilities/{SLUG}/"),
    ("GET", "/api/v1/facilities/no-such-facility/"),
    ("GET", "/api/v1/facilities/?contry=JP"),
    ("GET", "/api/v1/facilities/?lang=ja&contry=JP"),
    ("HEAD", "/api/v1/facilities/"),
    ("OPTIONS", "/api/v1/facilities/"),
    ("GET", "/api/v1/"),
    ("GET", "/api/schema/"),
    ("GET", "/api/docs/"),
    ("GET", "/api/redoc/"),
    ("GET", "/embed/facilities/?country=JP"),
    ("GET", "/embed/facilities/?country=XX"),
    ("GET", "/embed/"),
    ("GET", "/feeds/changes.atom"),
    ("GET", "/oembed?url=http://localhost/embed/facilities/%3Fcountry%3DJP"),
    ("GET", "/oembed"),
    ("GET", "/static/embed/widget.js"),
    ("GET", "/"),
    ("GET", "/admin/login/"),
    ("GET", "/no-such-page/"),
]


@pytest.fixture(autouse=True)
def _data(db):
    cited_source()
    FacilityFactory(slug=SLUG, name="Lean Light Source", country=country("JP"))


def answer(method: str, url: str, **headers) -> tuple:
    """Status, headers (without the per-request ones), body and the stack the request took;
    the second of two identical requests (a response-cache hit where one is cached)."""
    client = Client(HTTP_HOST="localhost", **headers)
    answers = []
    for _ in range(2):
        response = client.generic(method, url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        kept = sorted(
            (name, value) for name, value in response.items() if name.lower() not in PER_REQUEST
        )
        # Set-Cookie lives apart from the other headers: each cookie's name and attributes
        # (a CSRF token's value is new on every request, and its expires date is the
        # request's second plus max-age, which is compared instead).
        kept += sorted(
            (
                "Set-Cookie",
                name,
                sorted((key, str(value)) for key, value in morsel.items() if key != "expires"),
            )
            for name, morsel in response.cookies.items()
        )
        if django_settings.CSRF_COOKIE_NAME in response.cookies:
            # A page that hands out a CSRF token writes it masked anew on every request.
            body = MASKED_CSRF_TOKEN.sub(b"CSRF-TOKEN", body)
        nonce = NONCE.search(response.get("Content-Security-Policy", ""))
        if nonce:
            # The docs pages' CSP nonce is new on every request (and so is their ETag).
            kept = [
                (header[0], header[1].replace(nonce.group(1), "NONCE"), *header[2:])
                for header in kept
                if header[0] != "ETag"
            ]
            body = body.replace(nonce.group(1).encode(), b"NONCE")
        answers.append(
            (response.status_code, kept, body, getattr(response.wsgi_request, STACK_ATTRIBUTE))
        )
    return answers


def both_stacks(settings, method, url, **headers):
    settings.LEAN_PATH = True
    cache.clear()
    lean = answer(method, url, **headers)
    settings.LEAN_PATH = False
    cache.clear()
    full = answer(method, url, **headers)
    return lean, full


@pytest.mark.parametrize(("method", "url"), URLS)
def test_every_kind_of_answer_is_the_same_on_both_stacks(settings, method, url):
    lean, full = both_stacks(settings, method, url)
    for (status, headers, body, _), (full_status, full_headers, full_body, stack) in zip(
        lean, full, strict=True
    ):
        assert stack == FULL
        assert status == full_status
        assert headers == full_headers
        assert body == full_body
    public = url.startswith(("/api/", "/embed/", "/feeds/", "/oembed"))
    assert {taken for *_, taken in lean} == {LEAN if public else FULL}


def test_a_cached_api_answer_is_served_from_the_cache_on_the_lean_path(settings):
    """The pair above compares a miss and a hit: make sure the second really was a hit."""
    (_, miss_headers, *_), (_, hit_headers, *_) = both_stacks(
        settings, "GET", "/api/v1/facilities/"
    )[0]
    assert ("X-Cache", "miss") in miss_headers
    assert ("X-Cache", "hit") in hit_headers


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", {}, LEAN),
        ("HEAD", {}, LEAN),
        ("OPTIONS", {}, LEAN),
        ("POST", {}, FULL),
        ("PUT", {}, FULL),
        ("DELETE", {}, FULL),
        ("GET", {"HTTP_AUTHORIZATION": "Token fd_not-a-token"}, FULL),
        ("GET", {"HTTP_COOKIE": f"{django_settings.SESSION_COOKIE_NAME}=anything"}, FULL),
        ("GET", {"HTTP_COOKIE": "csrftoken=abc; theme=dark"}, LEAN),
    ],
)
def test_which_stack_a_request_gets(method, headers, expected):
    for url in ("/api/v1/facilities/", "/embed/facilities/", "/feeds/changes.atom", "/oembed"):
        response = Client(HTTP_HOST="localhost").generic(method, url, **headers)
        assert getattr(response.wsgi_request, STACK_ATTRIBUTE) == expected, url


def test_the_admin_and_the_landing_page_always_take_the_full_stack():
    for url in ("/admin/", "/admin/login/", "/"):
        response = Client(HTTP_HOST="localhost").get(url)
        assert getattr(response.wsgi_request, STACK_ATTRIBUTE) == FULL


def test_admin_sign_in_and_writes_keep_csrf_sessions_and_history(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw-lean-1")
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    login_url = reverse("admin:login")
    page = client.get(login_url)
    token = client.cookies["csrftoken"].value
    # CSRF: a sign-in without the token is refused.
    refused = client.post(login_url, {"username": "root", "password": "pw-lean-1"})
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert page.status_code == HTTPStatus.OK
    signed_in = client.post(
        login_url,
        {"username": "root", "password": "pw-lean-1", "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == HTTPStatus.FOUND
    # Sessions: the sign-in holds; the signed-in API read takes the full stack.
    assert django_settings.SESSION_COOKIE_NAME in client.cookies
    read = client.get("/api/v1/facilities/")
    assert getattr(read.wsgi_request, STACK_ATTRIBUTE) == FULL
    assert read.wsgi_request.user == user
    # History attribution: a change through the admin names its author.
    facility = Facility.objects.get(slug=SLUG)
    change_through_admin(client, facility, city="Lean City")
    latest = facility.history.first()
    assert (latest.history_type, latest.city, latest.history_user) == ("~", "Lean City", user)


def test_a_write_through_the_api_names_its_author(django_user_model):
    sync_role_groups()
    user = django_user_model.objects.create_user("eddie", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    response = client.post(
        "/api/v1/facilities/", facility_payload(), content_type="application/json"
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert getattr(response.wsgi_request, STACK_ATTRIBUTE) == FULL
    created = Facility.objects.get(slug="test-light-source")
    assert created.history.first().history_user == user


def test_a_session_write_to_the_api_needs_its_csrf_token(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw-lean-1")
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/v1/facilities/", facility_payload(), content_type="application/json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["detail"]


def test_the_skipped_middleware_are_the_libraries_own_on_the_full_stack():
    """Django's admin checks and django-axes find their middleware (subclasses of theirs),
    and the system checks pass with the lean path's entries in MIDDLEWARE."""
    for wrapped, original in [
        (
            "config.request_stacks.MessageMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ),
        ("config.request_stacks.AxesMiddleware", "axes.middleware.AxesMiddleware"),
    ]:
        assert wrapped in django_settings.MIDDLEWARE
        assert issubclass(import_string(wrapped), import_string(original))
    assert "config.request_stacks.HistoryRequestMiddleware" in django_settings.MIDDLEWARE
    assert [message for message in run_checks() if message.is_serious()] == []
