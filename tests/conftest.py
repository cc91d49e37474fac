"""Shared pytest fixtures."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

SEED_FIXTURES = ["taxonomy", "institutions", "facilities", "programmes", "agreements"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached answers never leak from one test into another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seed_data(db):
    """The curated seed data of fixtures/, loaded as `make run` loads it."""
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)


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
