"""The response cache: anonymous GETs from Redis with no SQL, invalidated by the writes that
change them (tests/test_cache_invalidation.py: which ones).

Most tests use the machine's Redis (REDIS_TEST_URL, default 127.0.0.1:6379 database 15) under a
key prefix of their own; the cache must be reachable there, as it is in CI.
"""

from __future__ import annotations

import logging
import os
import uuid
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from config.throttles import AnonymousRateThrottle
from directory.models import DirectoryState, Facility
from tests.factories import FacilityFactory, api_token


def _redis_test_url() -> str:
    """REDIS_TEST_URL (default database 15), one database per pytest-xdist worker (gw0 → 15,
    gw1 → 14, …): a test's ``cache.clear()`` is FLUSHDB, which must not empty the cache of a
    test running at the same moment in another worker."""
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, _slash, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) - int(worker.removeprefix('gw'))) % 16}"


REDIS_TEST_URL = _redis_test_url()
LIST = "/api/v1/facilities/"
DETAIL = "/api/v1/facilities/spring-8/"


def redis_caches(location: str = REDIS_TEST_URL) -> dict:
    return {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


@pytest.fixture
def facility(db):
    return FacilityFactory(slug="spring-8", name="SPring-8", name_ja="スプリングエイト")


def sql_count(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return response, len(queries)


# --- hits and misses -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_hit_runs_no_sql_and_repeats_the_answer(api, facility, redis_cache):
    first, first_queries = sql_count(api, LIST)
    second, second_queries = sql_count(api, LIST)

    assert first["X-Cache"] == "miss" and first_queries > 0
    assert second["X-Cache"] == "hit"
    assert second_queries == 0
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    for header in ("ETag", "Last-Modified", "Content-Type", "Cache-Control", "Content-Language"):
        assert second[header] == first[header], header


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST, DETAIL, "/embed/facilities/"])
def test_a_hit_varies_as_its_miss_did(api, facility, redis_cache, url):
    """Vary: Cookie included, which the session middleware adds outside the cache."""
    first, second = api.get(url), api.get(url)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    vary = [{part.strip() for part in r["Vary"].split(",")} for r in (first, second)]
    assert vary[0] == vary[1], vary
    if url.startswith("/api/"):
        assert "Cookie" in vary[1]


@pytest.mark.django_db
def test_a_hit_still_gets_its_own_request_id_cors_and_304(api, facility, redis_cache):
    first = api.get(DETAIL, HTTP_X_REQUEST_ID="first-request")
    second = api.get(DETAIL, HTTP_X_REQUEST_ID="second-request", HTTP_ORIGIN="https://p.example")
    assert second["X-Cache"] == "hit"
    assert second["X-Request-ID"] == "second-request"
    assert second["Access-Control-Allow-Origin"] == "*"

    revalidated, queries = sql_count(api, DETAIL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert revalidated.status_code == HTTPStatus.NOT_MODIFIED
    assert queries == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant", "headers"),
    [
        (f"{LIST}?lang=ja", {}),
        (LIST, {"HTTP_ACCEPT_LANGUAGE": "ja"}),
        (f"{LIST}?format=csv", {}),
        (LIST, {"HTTP_ACCEPT": "application/geo+json"}),
        (f"{LIST}?kind=synchrotron", {}),
        (LIST, {"HTTP_HOST": "127.0.0.1"}),
    ],
)
def test_language_format_query_and_host_have_entries_of_their_own(
    api, facility, redis_cache, variant, headers
):
    api.get(LIST)
    assert api.get(LIST)["X-Cache"] == "hit"

    first = api.get(variant, **headers)
    again = api.get(variant, **headers)
    assert first["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert api.get(LIST).content != first.content or first["Content-Type"] != "application/json"


@pytest.mark.django_db
def test_the_japanese_answer_is_never_served_for_english(api, facility, redis_cache):
    japanese = api.get(DETAIL, HTTP_ACCEPT_LANGUAGE="ja")
    english = api.get(DETAIL, HTTP_ACCEPT_LANGUAGE="en")
    assert japanese["Content-Language"] == "ja"
    assert english["Content-Language"] == "en"
    assert english["X-Cache"] == "miss"
    assert api.get(DETAIL, HTTP_ACCEPT_LANGUAGE="ja")["Content-Language"] == "ja"


@pytest.mark.django_db
def test_widgets_and_feeds_are_cached_too(api, facility, redis_cache):
    for url in ("/embed/facilities/?country=JP", "/api/v1/calls.ics"):
        assert api.get(url)["X-Cache"] == "miss"
        again, queries = sql_count(api, url)
        assert again["X-Cache"] == "hit", url
        assert queries == 0, url


# --- what is never cached ------------------------------------------------------------------


@pytest.mark.django_db
def test_errors_are_not_cached(api, facility, redis_cache):
    for url in (f"{LIST}?kind=spaceship", "/api/v1/facilities/nowhere/"):
        first = api.get(url)
        assert first.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)
        assert api.get(url)["X-Cache"] == "miss"


@pytest.mark.django_db
def test_signed_in_staff_see_drafts_never_a_cached_public_answer(
    api, staff_api, facility, redis_cache
):
    FacilityFactory(slug="draft-source", name="Draft Source", is_published=False)
    public = api.get(LIST)
    assert api.get(LIST)["X-Cache"] == "hit"

    staff = staff_api.get(LIST)
    assert "X-Cache" not in staff  # not even looked up
    assert b"draft-source" in staff.content
    assert b"draft-source" not in public.content
    # and the staff answer did not replace the public one
    assert b"draft-source" not in api.get(LIST).content


@pytest.mark.django_db
def test_requests_with_a_token_bypass_the_cache(api, facility, redis_cache, django_user_model):
    user = django_user_model.objects.create_user("reader", password="x")
    token = api_token(user)
    api.get(LIST)
    with_token = api.get(LIST, HTTP_AUTHORIZATION=f"Token {token}")
    assert "X-Cache" not in with_token


@pytest.mark.django_db
def test_zero_seconds_turns_the_cache_off(api, facility, redis_cache, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    api.get(LIST)
    second, queries = sql_count(api, LIST)
    assert "X-Cache" not in second
    assert queries > 0


# --- invalidation --------------------------------------------------------------------------


def editor_client(django_user_model) -> APIClient:
    user = django_user_model.objects.create_user("eddie", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_a_committed_write_makes_its_cached_answers_stale(
    reference_data, redis_cache, django_user_model
):
    api = APIClient(HTTP_HOST="localhost")
    FacilityFactory(slug="spring-8", name="SPring-8", city="Sayo")
    old_detail = api.get(DETAIL)
    old_list = api.get(LIST)
    assert api.get(DETAIL)["X-Cache"] == "hit"
    assert api.get(LIST)["X-Cache"] == "hit"

    editor = editor_client(django_user_model)
    written = editor.patch(DETAIL, {"city": "Sayo-cho"}, format="json", HTTP_IF_MATCH="*")
    assert written.status_code == HTTPStatus.OK, written.content

    new_detail = api.get(DETAIL)
    assert new_detail["X-Cache"] == "miss"
    assert new_detail.json()["city"] == "Sayo-cho"
    assert new_detail["ETag"] != old_detail["ETag"]
    # the old validator no longer matches; the new one does, from the cache
    assert api.get(DETAIL, HTTP_IF_NONE_MATCH=old_detail["ETag"]).status_code == HTTPStatus.OK
    revalidated = api.get(DETAIL, HTTP_IF_NONE_MATCH=new_detail["ETag"])
    assert revalidated.status_code == HTTPStatus.NOT_MODIFIED
    # the list (another entry) went stale with the same write
    new_list = api.get(LIST)
    assert new_list["X-Cache"] == "miss"
    assert new_list["ETag"] != old_list["ETag"]


def test_a_rolled_back_write_keeps_the_cache(reference_data, redis_cache):
    from django.db import transaction

    api = APIClient(HTTP_HOST="localhost")
    FacilityFactory(slug="spring-8", name="SPring-8")
    api.get(DETAIL)
    with pytest.raises(RuntimeError), transaction.atomic():
        Facility.objects.filter(slug="spring-8").update(city="Nowhere")
        raise RuntimeError("abandon the write")
    assert api.get(DETAIL)["X-Cache"] == "hit"


def test_the_in_process_cache_is_invalidated_through_the_database(reference_data, settings):
    """Without Redis, each process's cache checks the database's generations (one query)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    api = APIClient(HTTP_HOST="localhost")
    FacilityFactory(slug="spring-8", name="SPring-8", city="Sayo")
    api.get(DETAIL)
    hit, queries = sql_count(api, DETAIL)
    assert hit["X-Cache"] == "hit"
    assert queries == 1  # the generation counters, nothing else

    # A write committed by another process only moves the database's counters.
    DirectoryState.objects.update(
        kinds={"facility": {"generation": DirectoryState.current().generation + 1}}
    )
    assert api.get(DETAIL)["X-Cache"] == "miss"


# --- Redis down ----------------------------------------------------------------------------


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_with_redis_unreachable_answers_come_from_the_database(api, facility, settings, caplog):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port()}/0")
    settings.RESPONSE_CACHE_SECONDS = 60
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        responses = [api.get(DETAIL) for _ in range(3)]
    assert all(response.status_code == HTTPStatus.OK for response in responses)
    assert all(response.json()["slug"] == "spring-8" for response in responses)
    failures = [r for r in caplog.records if r.name == "config.cache"]
    assert failures, "the cache failure is logged"
    assert "cache unavailable" in failures[0].getMessage()
    assert len(failures) == 1, "one line per outage pause, not one per request"

    ready = api.get("/readyz")
    assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json()["failed"] == ["cache"]


@pytest.mark.django_db
def test_with_redis_unreachable_the_views_own_count_lets_requests_through(
    api, facility, settings, monkeypatch
):
    """Response cache off: the view counts by itself, and an unknown count refuses no one."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port()}/0")
    settings.RESPONSE_CACHE_SECONDS = 0
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    assert caches["default"].count_in_window("throttle:probe", 60) is None
    assert [api.get(DETAIL).status_code for _ in range(3)] == [HTTPStatus.OK] * 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "published"),
    [
        (DETAIL, "directory:record:facility:spring-8"),
        (LIST, "directory:record:facility:spring-8"),
        (LIST, "directory:generation:facility.membership"),
    ],
)
def test_an_answer_from_a_lagging_replica_is_never_served_as_current(
    api, facility, redis_cache, address, published
):
    """What the answer depends on was raised past the data's own generation: the data (a
    lagging replica's) predates a committed write, so the answer is computed every time until
    the data catches up."""
    served = DirectoryState.current().generation
    redis_cache.set(published, served + 1, None)  # a write the data has not seen
    assert api.get(address)["X-Cache"] == "miss"
    assert api.get(address)["X-Cache"] == "miss"

    DirectoryState.objects.update(generation=served + 1)  # the replica caught up
    assert api.get(address)["X-Cache"] == "miss"
    assert api.get(address)["X-Cache"] == "hit"


@pytest.mark.django_db
def test_a_dependency_lost_by_redis_is_seeded_from_the_primary(api, facility, redis_cache):
    """Redis lost (or evicted) a record's generation: it is seeded with the primary's current
    generation, never an older value that would let a stale answer pass."""
    assert api.get(DETAIL)["X-Cache"] == "miss"
    assert api.get(DETAIL)["X-Cache"] == "hit"
    redis_cache.delete("directory:record:facility:spring-8")
    assert api.get(DETAIL)["X-Cache"] == "miss"  # the entry depends on a key that is gone
    served = DirectoryState.current().generation
    assert redis_cache.get("directory:record:facility:spring-8") == served
    assert api.get(DETAIL)["X-Cache"] == "hit"


# --- one round trip, one count ---------------------------------------------------------------


def record_redis_round_trips(monkeypatch) -> list[str]:
    """From now on, each command sent to Redis (its name) or pipeline sent ("pipeline")."""
    import redis

    trips = []
    real_command, real_pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda self, *args, **kw: trips.append(args[0]) or real_command(self, *args, **kw),
    )
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *args, **kw: trips.append("pipeline") or real_pipeline(self, *args, **kw),
    )
    return trips


@pytest.mark.django_db
def test_a_hit_is_one_redis_round_trip_including_the_rate_count(
    api, facility, redis_cache, monkeypatch
):
    api.get(DETAIL)
    trips = record_redis_round_trips(monkeypatch)
    assert api.get(DETAIL)["X-Cache"] == "hit"
    assert trips == ["pipeline"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "kept_count"), [(DETAIL, []), (f"{LIST}?q=spring", []), (LIST, ["GET"])]
)
def test_a_miss_is_three_redis_round_trips(
    api, facility, redis_cache, monkeypatch, url, kept_count
):
    """With its records' representations cached: the lookup with the rate count and the
    claim of the answer (one pipeline), the representations (one MGET), and the store of
    the answer with the claim's release (one script); the whole list also reads its kept
    count (one GET). The claim is gone after it."""
    api.get(url)
    trips = record_redis_round_trips(monkeypatch)
    miss = api.get(url, HTTP_ACCEPT="application/json, application/x-miss;q=0.1")
    assert miss["X-Cache"] == "miss"
    assert trips == ["pipeline", *kept_count, "MGET", "EVAL"], trips
    import redis

    claims = redis.Redis.from_url(REDIS_TEST_URL).keys("*:computing")
    assert claims == []


@pytest.mark.django_db
def test_without_the_response_cache_the_view_counts_in_one_round_trip(
    api, facility, redis_cache, settings, monkeypatch
):
    """The view's own count (response cache off, or a request it does not look up) is one
    pipelined INCR + EXPIRE, not Django's SET NX, EXISTS and INCRBY."""
    import redis

    settings.RESPONSE_CACHE_SECONDS = 0
    settings.REPRESENTATION_CACHE_SECONDS = 0  # counted here: the throttle's trips alone
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    trips = record_redis_round_trips(monkeypatch)
    statuses = [api.get(DETAIL).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]
    assert trips == ["pipeline"] * 3
    # The counter expires with its window.
    raw = redis.Redis.from_url(REDIS_TEST_URL)
    (counter,) = raw.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*throttle*")
    assert int(raw.get(counter)) == 3
    assert 0 < raw.ttl(counter) <= 60


@pytest.mark.django_db
def test_hits_and_misses_share_one_anonymous_limit_each_request_counted_once(
    api, facility, redis_cache, monkeypatch
):
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "4/minute"})
    answers = [
        api.get(DETAIL),  # miss: counted by the cache lookup, not again by the view
        api.get(DETAIL),  # hit
        api.get(LIST),  # miss
        api.get(LIST),  # hit
        api.get(DETAIL),  # fifth: refused, from the cache path
        api.get(f"{LIST}?kind=synchrotron"),  # sixth: refused by the view (a miss)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
    assert [a.get("X-Cache") for a in answers[:4]] == ["miss", "hit", "miss", "hit"]
    for refused in answers[4:]:
        assert int(refused["Retry-After"]) >= 1
        assert "throttled" in refused.json()["detail"].lower()


@pytest.mark.django_db
def test_a_new_x_forwarded_for_is_not_a_new_client(api, facility, redis_cache, monkeypatch):
    """Without trusted proxies the socket address counts; a forged header changes nothing."""
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    statuses = [
        api.get(DETAIL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(
    api, facility, redis_cache, monkeypatch, settings
):
    """The limit and the sign-in lockout share one rule for the client address."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's address: the proxy's
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})

    def get(client_address):
        # The proxy appends the address it saw to whatever the client sent.
        return api.get(DETAIL, HTTP_X_FORWARDED_FOR=f"198.51.100.9, {client_address}")

    assert [get("203.0.113.1").status_code, get("203.0.113.1").status_code] == [200, 429]
    assert get("203.0.113.2").status_code == 200


@pytest.mark.django_db
def test_connections_cut_by_a_redis_restart_are_renewed_not_taken_for_an_outage(
    api, facility, redis_cache, caplog
):
    import redis

    api.get(DETAIL)
    assert api.get(DETAIL)["X-Cache"] == "hit"
    # What a Redis restart does to the app's pooled connections.
    redis.Redis.from_url(REDIS_TEST_URL).client_kill_filter(_type="normal", skipme=True)
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        again = api.get(DETAIL)
    assert again["X-Cache"] == "hit"
    assert not [r for r in caplog.records if r.name == "config.cache"]


@pytest.mark.django_db
def test_while_redis_is_unreachable_a_request_costs_what_it_costs_without_the_cache(
    api, facility, settings
):
    """No extra query to learn the generation: the cache is paused, not empty."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port()}/0")
    api.get(DETAIL)  # meets the failure, which pauses the cache
    _, with_redis_down = sql_count(api, DETAIL)
    settings.RESPONSE_CACHE_SECONDS = 0
    _, without_cache = sql_count(api, DETAIL)
    assert with_redis_down == without_cache


@pytest.mark.django_db
def test_a_page_reads_its_representations_in_one_round_trip(
    api, facility, redis_cache, settings, monkeypatch
):
    """Cold: one MGET that finds nothing and one pipelined SET of the rendered ones; warm:
    one MGET for the whole page (besides the anonymous count)."""
    settings.RESPONSE_CACHE_SECONDS = 0
    FacilityFactory.create_batch(5)
    trips = record_redis_round_trips(monkeypatch)
    filtered = f"{LIST}?kind=synchrotron"  # (the unfiltered list also reads its kept count)
    assert api.get(filtered).status_code == HTTPStatus.OK
    assert trips == ["pipeline", "MGET", "pipeline"]
    trips.clear()
    assert api.get(filtered).status_code == HTTPStatus.OK
    assert trips == ["pipeline", "MGET"]
