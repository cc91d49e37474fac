"""The changes feed becomes visible in the order of its ids, so a reader never skips one.

A reader of /api/v1/changes/ moves past what it has read by entry id. Two writers whose
transactions overlap could otherwise commit out of order (id 101 visible before id 100), and
a reader between the two commits would never see 100. The writers take turns
(directory.services.feed: a PostgreSQL advisory lock from the start of each write transaction
to its commit); SQLite runs one write transaction at a time of its own accord.
"""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.db import connection, connections, transaction

from directory.models import Facility, FeedEntry
from directory.services import feed
from tests.factories import FacilityFactory, update
from tests.test_api_write import client_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent write transactions are PostgreSQL's (SQLite runs one at a time)",
)


def updated_entries(*records) -> list[int]:
    """The record ids of the visible "updated" entries of ``records``, in feed order."""
    rows = FeedEntry.objects.filter(
        action=FeedEntry.Action.UPDATED, record_id__in=[record.pk for record in records]
    ).order_by("id")
    return list(rows.values_list("record_id", flat=True))


def test_a_second_writer_waits_for_the_first_to_commit(reference_data):
    first_record = FacilityFactory(slug="first-light", name="First Light")
    second_record = FacilityFactory(slug="second-light", name="Second Light")
    inside, release = threading.Event(), threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                update(first_record, city="Sendai")  # its feed entry is written, not committed
                inside.set()
                release.wait(10)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def second():
        try:
            update(second_record, city="Tsukuba")
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    try:
        assert inside.wait(10), "the first writer never wrote"
        two = threading.Thread(target=second)
        two.start()
        two.join(1.0)
        # Without the lock the second writer has committed by now, its entry's id above the
        # first one's, which is not visible yet: a reader would pass it.
        assert two.is_alive(), "the second writer did not wait for the first"
        assert updated_entries(first_record, second_record) == []
    finally:
        release.set()
        one.join(10)
    two.join(10)

    assert errors == []
    assert updated_entries(first_record, second_record) == [first_record.pk, second_record.pk]


def test_a_write_that_waits_too_long_is_a_503_naming_why(
    reference_data, django_user_model, monkeypatch
):
    """An import holds the writers' turn for its length; a write waiting longer than
    WRITERS_WAIT_SECONDS gives up, writes nothing, and the write API says why (503 with
    Retry-After, like any moment the database cannot take it)."""
    monkeypatch.setattr(feed, "WRITERS_WAIT_SECONDS", 0.3)
    FacilityFactory(slug="spring-8", name="SPring-8", city="Sayo")
    client = client_for(django_user_model, "eddie", "editor")
    client.raise_request_exception = False  # answered as a server would (config.errors)
    etag = client.get("/api/v1/facilities/spring-8/")["ETag"]

    holding, release = threading.Event(), threading.Event()

    def importer():
        try:
            with transaction.atomic():
                feed.take_writers_lock()
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert holding.wait(10)
        response = client.patch(
            "/api/v1/facilities/spring-8/", {"city": "Kamigori"}, format="json", HTTP_IF_MATCH=etag
        )
    finally:
        release.set()
        thread.join(10)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert "Another write to the directory" in response.json()["detail"]
    assert response["Retry-After"]
    assert Facility.objects.get(slug="spring-8").city == "Sayo"
    # Its turn come, the same write goes through.
    again = client.patch(
        "/api/v1/facilities/spring-8/", {"city": "Kamigori"}, format="json", HTTP_IF_MATCH=etag
    )
    assert again.status_code == HTTPStatus.OK, again.content
