"""The changes feed becomes visible in the order of its ids, so a reader never skips one.

A reader of /api/v1/changes/ moves past what it has read by entry id. Two writers whose
transactions overlap could otherwise commit out of order (id 101 visible before id 100), and
a reader between the two commits would never see 100. The writers take turns
(directory.services.feed: a PostgreSQL advisory lock from the start of each write transaction
to its commit); SQLite runs one write transaction at a time of its own accord.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from directory.models import FeedEntry
from tests.factories import FacilityFactory, update

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
