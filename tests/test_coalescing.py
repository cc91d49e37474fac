"""Requests for an answer that another worker is already computing wait for its answer.

After a write, every request arriving for a popular page while it is recomputed would compute
it again (under load a filtered page at 100k facilities takes 0.1–0.5 s); with a shared cache
the first one computes it and the others are answered from what it stores
(``X-Cache: coalesced``). Concurrent requests to a live server, the view slowed down so that
they overlap, Redis as the shared cache.
"""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest
from django.test import RequestFactory

from api.views import FacilityViewSet
from config import response_cache
from tests.factories import FacilityFactory, update


@pytest.fixture
def shared(redis_cache, reference_data):
    """Redis as the shared cache, and a database whose writes commit (a live server)."""
    return redis_cache


@pytest.fixture
def slow_list(monkeypatch):
    """The facility list takes 0.4 s more, and counts how often it really ran."""
    original = FacilityViewSet.list
    ran = []

    def list_slowly(self, request, *args, **kwargs):
        ran.append(time.monotonic())
        time.sleep(0.4)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(FacilityViewSet, "list", list_slowly)
    return ran


def fetch_together(url: str, count: int) -> list[tuple[int, str, bytes]]:
    answers = [None] * count

    def fetch(position):
        request = urllib.request.Request(url, headers={"Host": "localhost"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            answers[position] = (answer.status, answer.headers["X-Cache"], answer.read())

    threads = [threading.Thread(target=fetch, args=(position,)) for position in range(count)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # all of them arrive while the first one is computing
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_misses_compute_the_answer_once(live_server, shared, slow_list):
    facility = FacilityFactory(slug="spring-8", name="SPring-8")
    url = f"{live_server.url}/api/v1/facilities/"

    answers = fetch_together(url, 4)

    assert len(slow_list) == 1
    assert sorted(cache for _status, cache, _body in answers) == [
        "coalesced",
        "coalesced",
        "coalesced",
        "miss",
    ]
    assert len({body for _status, _cache, body in answers}) == 1

    # After a write, the waiting requests get the new answer, never the one before it.
    update(facility, name="SPring-8 (renamed)")
    answers = fetch_together(url, 3)
    assert len(slow_list) == 2
    assert all(b"SPring-8 (renamed)" in body for _status, _cache, body in answers)


def test_a_claim_never_released_delays_a_miss_by_at_most_the_limit(
    live_server, shared, slow_list, monkeypatch
):
    """A worker that died computing an answer holds its claim until it expires; the others
    compute the answer themselves after COALESCE_SECONDS."""
    monkeypatch.setattr(response_cache, "COALESCE_SECONDS", 0.3)
    FacilityFactory(slug="spring-8")
    url = f"{live_server.url}/api/v1/facilities/"
    # The key the middleware computes for that request (the same host, path and language).
    request = RequestFactory(HTTP_HOST="localhost").get("/api/v1/facilities/")
    request.LANGUAGE_CODE = "en"
    claim = f"{response_cache.response_cache_key(request)}:computing"
    shared.set(claim, 1, 60)

    started = time.monotonic()
    ((status, cache, _body),) = fetch_together(url, 1)
    waited = time.monotonic() - started

    assert (status, cache, len(slow_list)) == (200, "miss", 1)
    assert 0.3 + 0.4 <= waited < 0.3 + 0.4 + 1.0  # the wait, then its own computation
