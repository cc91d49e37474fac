"""Shared pytest fixtures."""

import pytest
from django.core.management import call_command

SEED_FIXTURES = ["taxonomy", "institutions", "facilities", "programmes", "agreements"]


@pytest.fixture
def seed_data(db):
    """The curated seed data of fixtures/, loaded as `make run` loads it."""
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
