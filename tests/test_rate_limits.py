"""The anonymous rate limit on every public path: the widgets, the Atom feed and oEmbed too.

One counter per client address and window (config/throttles.py), shared with the API and set
by API_ANON_RATE; each request counts once, whether the response cache answers it or the view.
Beyond the limit: 429 with Retry-After; JSON naming the limit for the feed and oEmbed, a short
framable page naming it for the widgets (they live in partners' iframes). Signed-in staff are
not limited.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from config.throttles import AnonymousRateThrottle
from tests.test_response_cache import record_redis_round_trips, redis_caches

pytestmark = pytest.mark.django_db

WIDGET = "/embed/facilities/"
ATOM = "/feeds/changes.atom"
OEMBED = "/oembed?url=http%3A%2F%2Flocalhost%2Fembed%2Ffacilities%2F&format=json"
PUBLIC_PATHS = [WIDGET, ATOM, OEMBED]
LIMIT = 3


@pytest.fixture
def limit(monkeypatch):
    """A small anonymous rate, set as the API's throttle tests set it (the class's rates)."""
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": f"{LIMIT}/minute"})


@pytest.fixture
def client():
    return Client(HTTP_HOST="localhost")


def assert_refused(response, path: str) -> None:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, path
    assert 1 <= int(response["Retry-After"]) <= 60
    if path.startswith("/embed/"):
        # A page the partner's iframe can show: framable, under its own policy, naming the limit.
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "Too many requests" in response.content.decode()
        assert f"More than {LIMIT}/minute requests" in response.content.decode()
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response
    else:
        body = response.json()
        assert "throttled" in body["detail"].lower()
        assert body["limit"] == f"{LIMIT}/minute"


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_the_request_past_the_limit_is_refused_with_retry_after(client, limit, path):
    answers = [client.get(path) for _ in range(LIMIT + 1)]

    assert [a.status_code for a in answers[:LIMIT]] == [HTTPStatus.OK] * LIMIT
    assert_refused(answers[LIMIT], path)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_cached_hits_are_counted_and_refused_from_the_cache(client, limit, path):
    answers = [client.get(path) for _ in range(LIMIT + 1)]

    assert [a.get("X-Cache") for a in answers[:LIMIT]] == ["miss", "hit", "hit"]
    assert_refused(answers[LIMIT], path)
    assert "X-Cache" not in answers[LIMIT], "refused by the cache lookup, not by the view"


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_without_the_response_cache_each_request_is_counted_once(client, limit, settings, path):
    settings.RESPONSE_CACHE_SECONDS = 0
    answers = [client.get(path) for _ in range(LIMIT + 1)]

    assert [a.status_code for a in answers[:LIMIT]] == [HTTPStatus.OK] * LIMIT
    assert_refused(answers[LIMIT], path)


def test_a_session_cookie_that_signs_no_one_in_is_still_limited(client, limit):
    """The response cache skips such a request (it carries a cookie); the middleware counts."""
    client.cookies["sessionid"] = "stale"
    answers = [client.get(WIDGET) for _ in range(LIMIT + 1)]

    assert [a.status_code for a in answers[:LIMIT]] == [HTTPStatus.OK] * LIMIT
    assert_refused(answers[LIMIT], WIDGET)


def test_the_widgets_the_feeds_oembed_and_the_api_share_one_counter(client, limit):
    statuses = [
        client.get("/api/v1/facilities/").status_code,
        client.get(WIDGET).status_code,
        client.get(ATOM).status_code,
        client.get(OEMBED).status_code,
        client.get("/api/v1/facilities/").status_code,
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_each_client_address_has_its_own_counter(client, limit):
    for _ in range(LIMIT):
        client.get(WIDGET, REMOTE_ADDR="192.0.2.1")
    assert client.get(WIDGET, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get(WIDGET, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_the_widget_page_speaks_the_widgets_language(client, limit):
    for _ in range(LIMIT):
        client.get(f"{WIDGET}?lang=ja")
    refused = client.get(f"{WIDGET}?lang=ja")

    assert refused.status_code == 429
    assert '<html lang="ja">' in refused.content.decode()
    assert "リクエストが多すぎます" in refused.content.decode()


def test_signed_in_staff_are_not_limited_and_not_counted(client, limit, django_user_model):
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(django_user_model.objects.create_user("curator", is_staff=True))
    for path in PUBLIC_PATHS:
        assert [staff.get(path).status_code for _ in range(LIMIT + 2)] == [200] * (LIMIT + 2)

    # The same address, anonymous: its own full allowance, then refused.
    answers = [client.get(WIDGET) for _ in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]


def test_with_redis_a_widget_hit_is_one_round_trip_and_each_request_one_count(
    client, limit, settings, monkeypatch
):
    import redis

    settings.CACHES = redis_caches()
    settings.RESPONSE_CACHE_SECONDS = 60
    client.get(WIDGET)  # a miss: counted with the lookup, not again by the middleware
    trips = record_redis_round_trips(monkeypatch)
    hit = client.get(WIDGET)
    assert hit["X-Cache"] == "hit"
    assert trips == ["pipeline"]

    assert client.get(WIDGET).status_code == 200
    assert_refused(client.get(WIDGET), WIDGET)
    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    (counter,) = raw.keys(f"{prefix}:*throttle*")
    assert int(raw.get(counter)) == LIMIT + 1
    raw.delete(*raw.keys(f"{prefix}:*"))


# --- Client address: X-Forwarded-For only from trusted proxies (TRUSTED_PROXIES) ---------------

#: docker-compose.yml's network, as its TRUSTED_PROXIES names it; a proxy on the host reaches the
#: app from the network's gateway.
PROXY_NETWORK = "172.31.250.0/24"
PROXY = "172.31.250.1"
API = "/api/v1/facilities/"


@pytest.fixture
def behind_proxies(settings):
    settings.TRUSTED_PROXIES = [PROXY_NETWORK]


@pytest.mark.parametrize("path", [API, *PUBLIC_PATHS])
def test_a_direct_client_rotating_x_forwarded_for_cannot_escape_the_limit(
    client, limit, behind_proxies, path
):
    """Issue 14: a client reaching the app directly, a new X-Forwarded-For on every request,
    is still one client: its socket address (not a trusted proxy's) is all that counts."""
    answers = [
        client.get(path, REMOTE_ADDR="198.51.100.77", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(LIMIT + 3)
    ]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429] * 3
    if path == API:
        assert "throttled" in answers[-1].json()["detail"].lower()
    else:
        assert_refused(answers[-1], path)
    # Posing as the proxy's client in the header does not help either.
    posing = client.get(
        path, REMOTE_ADDR="198.51.100.77", HTTP_X_FORWARDED_FOR=f"203.0.113.200, {PROXY}"
    )
    assert posing.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_counter(
    client, limit, behind_proxies
):
    def get(forwarded):
        return client.get(WIDGET, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert [get("203.0.113.7").status_code for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
    # Another client behind the same proxy: its own allowance.
    assert get("203.0.113.8").status_code == 200
    # The first client relayed by a second proxy of the network (which appends its own peer
    # after the client's entry): still the same, spent counter.
    assert get("203.0.113.7, 172.31.250.9").status_code == 429


def test_behind_a_trusted_proxy_a_forged_left_most_entry_is_ignored(client, limit, behind_proxies):
    """The proxy appends the address it saw; whatever the client wrote left of it, rotated on
    every request, names no new client."""
    answers = [
        client.get(WIDGET, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7")
        for n in range(LIMIT + 2)
    ]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429] * 2
    # ...while a colleague behind the same proxy is still served.
    colleague = client.get(WIDGET, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert colleague.status_code == 200
