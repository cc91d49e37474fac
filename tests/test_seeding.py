"""Seeding never overwrites: `make run` (seed_directory) may run any number of times.

It adds the seed records the directory has never had, each with a "created" history entry
naming its seed file and sources, and never touches a record that exists (a curator's edit
stays) or that a curator deleted (the deletion is remembered). On a directory seeded by an
earlier version (loaddata: no history), it completes the history and the public feed.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from directory import services
from directory.models import (
    ChangeEvent,
    Citation,
    Facility,
    FeedEntry,
    Institution,
    Programme,
    Technique,
)
from directory.services.seeding import BACKFILL_REASON, read_seed
from tests.factories import direct_writes

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_directory", stdout=out)
    return out.getvalue()


def test_every_seed_record_enters_with_a_created_entry_naming_the_seed_and_its_sources():
    seed()
    records = read_seed()
    assert len(records) == sum(
        model._base_manager.count() for model in {record.model for record in records}
    )
    for record in records:
        stored = record.model._base_manager.get(slug=record.slug)
        (entry,) = stored.history.all()
        assert entry.history_type == "+"
        assert entry.history_user is None
        assert entry.history_change_reason.startswith(f"Seeded from {record.file}")
        for source in record.sources:
            assert source in entry.history_change_reason
    spring8 = Facility.objects.get(slug="spring-8")
    entry = spring8.history.get()
    assert {row.institution.slug for row in entry.institutions.all()} == set(
        spring8.roles.values_list("institution__slug", flat=True)
    )


def test_a_curator_edit_and_a_deletion_survive_seeding_again(admin_user):
    seed()
    spring8 = Facility.objects.get(slug="spring-8")
    services.record_update(
        record=spring8, fields={"city": "Sayo-cho"}, user=admin_user, reason="Curator fix"
    )
    isis = Facility.objects.get(slug="isis")
    services.record_delete(record=isis, user=admin_user, reason="Curator removed it")
    renamed = Technique.objects.get(slug="xafs")
    services.record_update(record=renamed, fields={"slug": "x-ray-absorption"}, user=admin_user)
    history_before = Facility.history.count()
    feed_before = FeedEntry.objects.count()

    for _ in range(2):  # make run, and make run again
        out = seed()
        assert "0 seed record(s) added" in out

    spring8.refresh_from_db()
    assert spring8.city == "Sayo-cho"
    assert spring8.history.first().history_change_reason == "Curator fix"
    assert not Facility.objects.filter(slug="isis").exists()  # the deletion is remembered
    assert not Technique.objects.filter(slug="xafs").exists()  # so is the old slug
    assert Facility.history.count() == history_before  # nothing written, not even history
    assert FeedEntry.objects.count() == feed_before


def test_a_seed_record_the_directory_never_had_is_added_later():
    seed()
    missing = Programme.objects.get(slug="q-leap")
    with direct_writes():  # a directory seeded before this record was in the seed files
        missing.roles.all().delete()
        Programme._base_manager.filter(pk=missing.pk).delete()
    Programme.history.filter(id=missing.pk).delete()
    ChangeEvent.objects.filter(model="directory.programme", record_id=missing.pk).delete()
    FeedEntry.objects.filter(kind="programme", record_id=missing.pk).delete()
    out = seed()
    assert "1 seed record(s) added" in out
    added = Programme.objects.get(slug="q-leap")
    assert added.history.get().history_type == "+"
    assert added.roles.filter(role="funder").exists()
    assert FeedEntry.objects.filter(kind="programme", slug="q-leap", action="created").exists()


def test_a_directory_seeded_by_loaddata_gets_its_history_and_feed_completed(api, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    with direct_writes():  # what `make run` did before: loaddata, no history, no feed
        call_command(
            "loaddata",
            "sources",
            "taxonomy",
            "institutions",
            "facilities",
            "programmes",
            "agreements",
            verbosity=0,
        )
    edited = Institution.objects.get(slug="riken")
    seeded_name = edited.name
    with direct_writes():  # a curator's edit of those days: simple-history's own row
        edited.name = "RIKEN (edited)"
        edited.save()
    # loaddata's raw saves leave no creation entry (only rows for its many-to-many links).
    assert not Facility.history.filter(history_type="+").exists()
    assert api.get("/api/v1/changes/").json()["results"] == []

    out = seed()

    assert "0 seed record(s) added" in out
    # The citation index, which loaddata never wrote, says who cites each source now.
    assert Citation.objects.filter(facility__slug="nanoterasu").exists()
    assert "0 citation index row(s) corrected" not in out
    for model in (Facility, Institution, Programme, Technique):
        for record in model.objects.all():
            created = record.history.filter(history_type="+").get()
            assert created.history_change_reason.startswith(BACKFILL_REASON)
    # The edited record's creation entry holds the value it was seeded with, so the first
    # edit has its "before" and the seed value can be restored.
    created = edited.history.get(history_type="+")
    assert created.name == seeded_name
    assert created.history_date <= edited.history.get(history_type="~").history_date
    # The feed now covers every public record: replaying it lists what the API lists.
    results = []
    since = ""
    while True:
        body = api.get("/api/v1/changes/", {"limit": 500, **({"since": since} if since else {})})
        results += body.json()["results"]
        since = body.json()["cursor"]
        if not body.json()["has_more"]:
            break
    institutions = {c["slug"] for c in results if c["kind"] == "institution"}
    assert institutions == set(
        Institution.objects.filter(is_published=True).values_list("slug", flat=True)
    )
    assert len(institutions) > 40
    again = seed()
    assert "0 feed entr(ies) added" in again  # and only once
    assert "0 citation index row(s) corrected" in again
