"""The public changes feed (/api/v1/changes/): what the public saw change, in order, by cursor.

created when a record becomes public, updated when what the public sees changes, deleted
when it leaves the public directory; a record that was never public never appears; a call
appears only while the calls API shows it. Entries carry the record's public fields.
"""

import datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from directory import services
from directory.models import FeedEntry
from tests.factories import (
    CallFactory,
    FacilityFactory,
    InstitutionFactory,
    ProgrammeFactory,
    cited_source,
    delete,
    update,
)
from tests.test_history import form_data, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the citations of these tests name (tests.factories.citation): a
    public record, so the feed of every test starts with it (:data:`SET_UP`)."""
    cited_source()


#: What the feed holds before each test's own writes: the cited source's creation.
SET_UP = [("source", "test-source", "created")]


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    """Each test is one transaction that never commits, so the response cache never learns
    of its writes (it is invalidated on commit: see tests/test_response_cache.py)."""
    settings.RESPONSE_CACHE_SECONDS = 0


def feed(client, **params):
    response = client.get("/api/v1/changes/", params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def actions(body):
    return [(c["kind"], c["slug"], c["action"]) for c in body["results"]]


def test_lists_every_action_in_order_with_the_public_fields(api):
    facility = FacilityFactory(slug="spring-8", city="Harima")
    update(facility, city="Sayo")
    InstitutionFactory(slug="riken")
    delete(facility)
    body = feed(api)
    assert actions(body) == [
        *SET_UP,
        ("facility", "spring-8", "created"),
        ("facility", "spring-8", "updated"),
        ("institution", "riken", "created"),
        ("facility", "spring-8", "deleted"),
    ]
    _source, created, updated, _riken, deleted = body["results"]
    assert created["url"].endswith("/api/v1/facilities/spring-8/")
    assert (created["data"]["city"], updated["data"]["city"]) == ("Harima", "Sayo")
    assert created["data"]["country"] == "JP"
    assert deleted["data"] is None
    assert "user" not in created and "reason" not in created


def test_a_draft_never_appears_and_unpublishing_is_a_deletion(api):
    draft = FacilityFactory(slug="draft", is_published=False)
    update(draft, city="Somewhere")
    delete(draft)
    assert actions(feed(api)) == SET_UP  # never public: never in the feed, not even deleted

    withdrawn = FacilityFactory(slug="withdrawn")
    services.record_unpublish(record=withdrawn)
    update(withdrawn, city="Changed while a draft")
    services.record_publish(record=withdrawn)
    assert actions(feed(api)) == [
        *SET_UP,
        ("facility", "withdrawn", "created"),
        ("facility", "withdrawn", "deleted"),
        ("facility", "withdrawn", "created"),
    ]
    assert feed(api)["results"][-1]["data"]["city"] == "Changed while a draft"


def test_a_call_appears_only_while_its_programme_is_public(api):
    programme = ProgrammeFactory(slug="draft-scheme", is_published=False)
    CallFactory(slug="call-2027", programme=programme)
    assert actions(feed(api)) == SET_UP  # the calls API 404s it: so does the feed

    services.record_publish(record=programme)
    assert actions(feed(api)) == [
        *SET_UP,
        ("programme", "draft-scheme", "created"),
        ("call", "call-2027", "created"),
    ]
    services.record_unpublish(record=programme)
    assert actions(feed(api))[-2:] == [
        ("programme", "draft-scheme", "deleted"),
        ("call", "call-2027", "deleted"),
    ]


def test_relations_name_only_public_records(api):
    hidden = InstitutionFactory(slug="hidden-operator", is_published=False)
    facility = FacilityFactory(slug="ring")
    services.record_update(
        record=facility, relations={"institutions": [services.RoleLink(hidden, "operator")]}
    )
    assert feed(api)["results"][-1]["data"]["institutions"] == []  # the draft is not named
    assert "hidden-operator" not in str(feed(api))

    services.record_publish(record=hidden)
    results = feed(api)["results"]
    assert actions({"results": results[-2:]}) == [
        ("institution", "hidden-operator", "created"),
        ("facility", "ring", "updated"),  # what the public sees of the ring changed
    ]
    assert results[-1]["data"]["institutions"] == [{"slug": "hidden-operator", "role": "operator"}]


def test_a_new_slug_is_the_old_one_deleted_and_the_new_one_created(api):
    facility = FacilityFactory(slug="old-name")
    update(facility, slug="new-name")
    assert actions(feed(api)) == [
        *SET_UP,
        ("facility", "old-name", "created"),
        ("facility", "old-name", "deleted"),
        ("facility", "new-name", "created"),
    ]


def test_cursor_pages_without_gaps_or_repeats(api):
    for number in range(7):
        ProgrammeFactory(slug=f"programme-{number}")
    seen = []
    since = None
    for _ in range(5):
        params = {"limit": 3, **({"since": since} if since else {})}
        body = feed(api, **params)
        seen.extend(c["slug"] for c in body["results"])
        since = body["cursor"]
        if not body["has_more"]:
            break
    assert seen == ["test-source"] + [f"programme-{number}" for number in range(7)]
    assert feed(api, since=since)["results"] == []


def test_next_is_a_valid_url_whatever_since_was(api):
    FacilityFactory(slug="before")
    moment = timezone.localtime(timezone.now(), datetime.timezone(datetime.timedelta(hours=9)))
    FacilityFactory(slug="after")
    since = moment.isoformat()  # "…+09:00": the + must survive the round trip
    body = feed(api, since=since)
    assert [c["slug"] for c in body["results"]] == ["after"]
    parts = urlsplit(body["next"])
    assert (parts.scheme, parts.path) == ("http", "/api/v1/changes/")
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["since"] == [body["cursor"]] and query["limit"] == ["100"]
    following = api.get(body["next"])
    assert following.status_code == HTTPStatus.OK
    assert following.json()["results"] == []
    # An empty page still answers a cursor to go on from.
    assert feed(api, since=body["cursor"])["cursor"] == body["cursor"]


def test_since_a_moment(api):
    FacilityFactory(slug="before")
    moment = timezone.now()
    FacilityFactory(slug="after")
    slugs = [c["slug"] for c in feed(api, since=moment.isoformat())["results"]]
    assert slugs == ["after"]


def test_a_cursor_of_the_former_feed_still_works(api):
    """Cursors issued before the feed had entries of its own ([moment, kind, history id])."""
    import base64
    import json

    FacilityFactory(slug="before")
    moment = timezone.now()
    FacilityFactory(slug="after")
    old = base64.urlsafe_b64encode(json.dumps([moment.isoformat(), 0, 5]).encode()).decode()
    assert [c["slug"] for c in feed(api, since=old.rstrip("="))["results"]] == ["after"]


def test_staff_see_who_made_the_change_and_why(staff_api, admin_client):
    cited_source()
    page = admin_client.get("/admin/directory/institution/add/")
    data = form_data(page)  # the inlines' management forms included
    data.update(
        name=["KEK"],
        slug=["kek"],
        kind=["national_institute"],
        country=["JP"],
        is_published=["on"],
        aliases=["[]"],
        sources=['[{"source": "test-source", "locator": "p. 1"}]'],
        _save=["Save"],
    )
    response = admin_client.post("/admin/directory/institution/add/", data)
    assert response.status_code == 302, page_text(response)[:2000]
    change = feed(staff_api)["results"][-1]
    assert (change["slug"], change["user"]) == ("kek", "admin")
    assert change["reason"] == "Added in the admin"


def test_feed_entries_name_the_event_that_caused_them():
    facility = FacilityFactory(slug="ring")
    entry = FeedEntry.objects.get(slug="ring")
    assert entry.event.action == "created"
    assert entry.event.record_id == facility.pk
    assert entry.event.history_id == facility.history.get().history_id


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"limit": "0"},
        {"colour": "red"},
        {"since": "e30"},
        {"kind": "planet"},
        {"kind": "facility,planet"},
    ],
)
def test_bad_parameters_are_400(api, params):
    response = api.get("/api/v1/changes/", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(params) <= set(response.json())


def test_kind_follows_the_changes_of_some_kinds_only(api):
    """A partner syncing facilities and calls reads only theirs, page by page, with the same
    cursor rules; ``next`` keeps the kinds; repeated and comma-separated forms agree."""
    programme = ProgrammeFactory(slug="programme-a")
    for number in range(3):
        FacilityFactory(slug=f"facility-{number}")
        InstitutionFactory(slug=f"institution-{number}")
    CallFactory(slug="call-a", programme=programme)
    update(FacilityFactory._meta.model.objects.get(slug="facility-0"), city="Sendai")

    seen, since = [], None
    for _ in range(6):
        body = feed(api, kind="facility,call", limit=2, **({"since": since} if since else {}))
        assert {c["kind"] for c in body["results"]} <= {"facility", "call"}
        seen.extend((c["slug"], c["action"]) for c in body["results"])
        assert parse_qs(urlsplit(body["next"]).query)["kind"] == ["facility,call"]
        since = body["cursor"]
        if not body["has_more"]:
            break
    assert seen == [
        ("facility-0", "created"),
        ("facility-1", "created"),
        ("facility-2", "created"),
        ("call-a", "created"),
        ("facility-0", "updated"),
    ]
    repeated = api.get("/api/v1/changes/?kind=facility&kind=call").json()
    assert repeated["results"] == feed(api, kind="facility,call")["results"]
    everything = feed(api)
    assert {c["kind"] for c in everything["results"]} >= {"institution", "programme"}


def test_on_the_seed_data_kind_lists_each_public_record_of_the_kind_once(api, seed_data):
    """The seed path `make run` loads: following only facilities (in pages) gives one
    `created` entry per facility the list shows, and nothing of another kind."""
    listed = feed(api, kind="facility", limit=500)
    assert {c["kind"] for c in listed["results"]} == {"facility"}
    created = [c["slug"] for c in listed["results"] if c["action"] == "created"]
    facilities = api.get("/api/v1/facilities/", {"limit": 200}).json()
    assert sorted(created) == sorted(row["slug"] for row in facilities["results"])
    assert len(created) == facilities["count"] >= 50
