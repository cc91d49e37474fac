"""The anonymous rate limit: one counter per client address and window, atomic in Redis.

DRF's default throttle keeps a list of request times per client and rewrites it on every
request: two round trips, and concurrent workers overwrite each other's counts (measured:
about half were lost under load). Here each request increments a counter that expires with
its window (``API_ANON_RATE``, e.g. 600/minute): one atomic operation, which the response cache
folds into the same Redis round trip as its lookup, so a cached answer costs one round trip
in all. A window allows up to its number of requests; a burst straddling two windows can
reach twice that, the usual price of fixed windows.
"""

from __future__ import annotations

import math

from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from config.security import client_ip

#: Set on the Django request by whoever counted it already (the response cache), so that the
#: view's throttle does not count the same request twice.
COUNTED_ATTRIBUTE = "anonymous_request_count"


class AnonymousRateThrottle(SimpleRateThrottle):
    """Limits anonymous callers per client address (see the module docstring)."""

    scope = "anon"
    cache_format = "throttle:%(scope)s:%(ident)s:%(window)d"

    def get_ident(self, request):
        """The client's address, by the rule the sign-in lockout uses (config.security):
        ``X-Forwarded-For`` counts only through ``TRUSTED_PROXY_COUNT`` proxies, so a forged
        header never makes a new client."""
        return client_ip(request) or "unknown"

    def window_key(self, request) -> str:
        """The counter of this caller's current window (``request``: Django's or DRF's)."""
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident, "window": window}

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None  # signed-in staff and token holders are not limited
        return self.window_key(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        django_request = request._request if hasattr(request, "_request") else request
        count = getattr(django_request, COUNTED_ATTRIBUTE, None)
        if count is None:
            count = count_request(self.cache, key, self.duration)
        return self.admits(count)

    def admits(self, count: int | None) -> bool:
        """Whether the ``count``-th request of the window is allowed (no count: the cache is
        unreachable, and the API keeps answering rather than refuse everyone)."""
        return count is None or count <= self.num_requests

    def wait(self):
        return max(0.0, self.window_ends_at - self.timer())


def count_request(cache, key: str, window_seconds: int) -> int | None:
    """Add one to a window's counter (created to expire with the window); None if unknown.

    One round trip where the backend can pipeline it (config.cache.ResilientRedisCache).
    """
    if hasattr(cache, "count_in_window"):
        return cache.count_in_window(key, window_seconds)
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls, or the cache is unreachable
        return None


def fetch_and_count(cache, keys: list[str], counter_key: str | None, window_seconds: int):
    """``cache.get_many(keys)`` and, with ``counter_key``, ``count_request`` on it.

    One round trip where the backend can pipeline them (config.cache.ResilientRedisCache).
    """
    if counter_key is None:
        return cache.get_many(keys), None
    if hasattr(cache, "get_many_and_count"):
        return cache.get_many_and_count(keys, counter_key, window_seconds)
    return cache.get_many(keys), count_request(cache, counter_key, window_seconds)


def anonymous_throttle_for(request: HttpRequest) -> AnonymousRateThrottle | None:
    """The throttle the API's views apply to this anonymous request, or None (not the API,
    or no rate configured)."""
    if not request.path.startswith("/api/"):
        return None
    throttle = AnonymousRateThrottle()
    return throttle if throttle.rate else None


def throttled_response(wait: float) -> JsonResponse:
    """The 429 a view would give: DRF's message and Retry-After in whole seconds."""
    response = JsonResponse({"detail": str(Throttled(wait).detail)}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
