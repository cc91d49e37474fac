"""Shared pytest fixtures."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.management import call_command
from django.test import RequestFactory
from django.test.client import ClientMixin
from django.utils import translation
from rest_framework.test import APIClient

SEED_FIXTURES = ["sources", "taxonomy", "institutions", "facilities", "programmes", "agreements"]


def pytest_report_header(config):
    """A line at the top of every run: whether the browser tests can run, else what to install."""
    from tests import browser_support as ui

    missing = ui.missing_browser_requirements()
    if not missing:
        return f"browser tests: Chromium at {ui.chromium_executable()}, CJK fonts installed"
    if ui.in_ci():
        outcome = "will FAIL (CI)"
    elif set(missing) == {"fonts-noto-cjk"}:
        outcome = "run, but Japanese text shows as boxes in their screenshots"
    else:
        outcome = "will be SKIPPED"
    return f"browser tests {outcome}: {ui.install_hint(missing)}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached answers never leak from one test into another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request's language stays with its thread (LocaleMiddleware activates it and nothing
    deactivates it): a test after a Japanese request would read Japanese messages."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _client_login_passes_a_request(monkeypatch):
    """django-axes stays on in tests, so the test client's login() must name its request.

    Axes counts every sign-in against the client's address, so its backend refuses an
    ``authenticate()`` without a request, and Django's ``Client.login()`` passes none. Here it
    passes a sign-in POST from 127.0.0.1, as the admin form would: failed logins are counted
    and a locked-out user is refused, exactly as in production (force_login() skips axes).
    """
    original = ClientMixin.login

    def login(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/admin/login/"))
        return original(self, **credentials)

    monkeypatch.setattr(ClientMixin, "login", login)


@pytest.fixture
def seed_data(db):
    """The curated seed data of fixtures/, seeded as `make run` seeds it."""
    call_command("seed_directory", verbosity=0)


@pytest.fixture
def api(db):
    """An anonymous API client (Host: localhost, as partner browsers and schemathesis send)."""
    return APIClient(HTTP_HOST="localhost")


@pytest.fixture
def staff_api(db, django_user_model):
    """An API client signed in as staff (sees unpublished drafts)."""
    user = django_user_model.objects.create_user("curator", password="x", is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def reference_data(transactional_db):
    """A database whose writes really commit, with what the data migrations loaded.

    A transactional test flushes the tables, countries and role groups included, so they are
    loaded again. Not ``serialized_rollback``: once a plain transactional test has flushed the
    database, its post_migrate handlers re-create content types, permissions and the role
    groups under new primary keys, and restoring the serialized rows then fails (UNIQUE
    auth_group.name).
    """
    from directory.roles import sync_role_groups

    countries = importlib.import_module("directory.migrations.0002_load_countries")
    countries.load_countries(django_apps, schema_editor=None)
    sync_role_groups()


@pytest.fixture
def chromium():
    """A headless Debian Chromium driven by Playwright (fails in CI when it is missing).

    While it runs, the test thread hosts Playwright's event loop: make ORM calls before it
    starts, or through ``browser_support.on_worker_thread``.
    """
    from playwright.sync_api import sync_playwright

    from tests import browser_support as ui

    executable = ui.chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=ui.CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def redis_cache(settings):
    """Django's cache on a real Redis server (REDIS_TEST_URL), under a prefix no other test
    shares, with the response cache on."""
    from django.core.cache import caches

    from tests.test_response_cache import redis_caches

    settings.CACHES = redis_caches()
    settings.RESPONSE_CACHE_SECONDS = 60
    backend = caches["default"]
    backend.is_available()  # fails loudly (not a skip) when Redis is not there
    yield backend
    backend.clear()
