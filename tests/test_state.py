"""The change marker (directory.models.state.DirectoryState) as every response-cache miss
reads it: ``current()`` reads the row with one plain SQL statement (its docstring gives the
measured gain) and must give exactly what the ORM's read gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import DirectoryState
from tests.factories import FacilityFactory


def _fields(state: DirectoryState) -> tuple:
    return (state.pk, state.generation, state.changed_at, state.kinds)


def test_the_marker_read_is_the_orms_read_after_real_writes(reference_data):
    FacilityFactory(slug="marker-one")
    FacilityFactory(slug="marker-two")  # each write's bump runs at its commit
    state = DirectoryState.current()
    expected = DirectoryState.objects.get(pk=DirectoryState.SINGLETON_ID)

    assert _fields(state) == _fields(expected)
    assert state.generation >= 2
    assert state.changed_at.tzinfo is not None
    assert state.changed_at.utcoffset() == datetime.timedelta(0)
    assert state.kinds["facility"]["generation"] == state.generation
    assert state.generation_of("facility") == expected.generation_of("facility")
    assert state.changed_at_of(["facility"]) == expected.changed_at_of(["facility"])
    # A row read from the database, as a queryset would give it: saving it updates the row.
    assert not state._state.adding and state._state.db == "default"


def test_the_marker_read_is_one_statement(reference_data):
    DirectoryState.current()
    with CaptureQueriesContext(connection) as queries:
        DirectoryState.current()
    assert len(queries) == 1
    assert "directorystate" in queries[0]["sql"].lower()


def test_a_missing_marker_row_is_created_at_the_first_read(reference_data):
    DirectoryState.objects.all().delete()

    state = DirectoryState.current()

    assert state.generation == 0
    assert DirectoryState.objects.filter(pk=DirectoryState.SINGLETON_ID).exists()
    assert _fields(DirectoryState.current()) == _fields(state)
