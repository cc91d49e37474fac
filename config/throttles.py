"""The anonymous rate limit: one counter per client address and window, atomic in Redis.

It covers every public path (RATE_LIMITED_PREFIXES): the API, where DRF's views apply
:class:`AnonymousRateThrottle` (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES), and the widgets,
the feeds and oEmbed, where :class:`AnonymousRateLimitMiddleware` applies the same throttle.
One counter per client address for all of them, and one rate (``API_ANON_RATE``). A request
the response cache looks up is counted there, with its lookup, whether the answer is a hit or
a miss; the view's throttle or the middleware then reads that count (COUNTED_ATTRIBUTE)
instead of counting again.

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

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from config.errors import notice_page
from config.security import client_ip

#: Set on the Django request by whoever counted it already (the response cache, or the
#: middleware), so that the view's throttle does not count the same request twice.
COUNTED_ATTRIBUTE = "anonymous_request_count"

#: Every public path an anonymous caller is limited on: the API (its views' throttle) and
#: the paths outside DRF (:data:`MIDDLEWARE_PREFIXES`).
RATE_LIMITED_PREFIXES = ("/api/", "/embed/", "/feeds/", "/oembed")
#: The public paths with no DRF view, limited by :class:`AnonymousRateLimitMiddleware`.
MIDDLEWARE_PREFIXES = ("/embed/", "/feeds/", "/oembed")
#: Where the 429 is a short framable page rather than JSON: the widgets live in partners'
#: iframes, which would otherwise show raw JSON to their readers.
PAGE_PREFIXES = ("/embed/",)

THROTTLED_TEXT = {
    "en": (
        "Too many requests",
        "More than {rate} requests came from your address. Please try again in {wait} seconds.",
    ),
    "ja": (
        "リクエストが多すぎます",
        "このアドレスからのリクエストが上限（{rate}）を超えました。"
        "{wait} 秒後に、もう一度お試しください。",
    ),
}


class AnonymousRateThrottle(SimpleRateThrottle):
    """Limits anonymous callers per client address (see the module docstring)."""

    scope = "anon"
    cache_format = "throttle:%(scope)s:%(ident)s:%(window)d"

    def get_ident(self, request):
        """The client's address, by the rule the sign-in lockout uses (config.security):
        ``X-Forwarded-For`` counts only from a peer in ``TRUSTED_PROXIES``, so a client that
        reaches the app directly cannot make itself a new one with a forged header."""
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
        # DRF's request reads attributes it lacks from Django's, where the cache counted.
        count = getattr(request, COUNTED_ATTRIBUTE, None)
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
    """The throttle that limits this anonymous request, or None (not a public path, or no
    rate configured)."""
    if not request.path.startswith(RATE_LIMITED_PREFIXES):
        return None
    throttle = AnonymousRateThrottle()
    return throttle if throttle.rate else None


def throttled_response(wait: float) -> JsonResponse:
    """The 429 a view would give: DRF's message and Retry-After in whole seconds."""
    response = JsonResponse({"detail": str(Throttled(wait).detail)}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def refusal(request: HttpRequest, throttle: AnonymousRateThrottle) -> HttpResponse:
    """The 429 for ``request`` once ``throttle``'s window is full, with Retry-After.

    The API: exactly what its views answer (DRF's body). oEmbed and the feeds: the same JSON
    plus the limit (``{"detail": …, "limit": "600/minute"}``). The widgets: a short page in
    the widget's language, framable by the partner page, naming the limit.
    """
    wait = throttle.wait()
    if request.path.startswith("/api/"):
        return throttled_response(wait)
    seconds = max(1, math.ceil(wait))
    if request.path.startswith(PAGE_PREFIXES):
        texts = {
            lang: (title, escape(hint.format(rate=throttle.rate, wait=seconds)))
            for lang, (title, hint) in THROTTLED_TEXT.items()
        }
        response = notice_page(request, 429, texts)
    else:
        detail = str(Throttled(wait).detail)
        response = JsonResponse({"detail": detail, "limit": throttle.rate}, status=429)
    response["Retry-After"] = str(seconds)
    return response


class AnonymousRateLimitMiddleware:
    """The anonymous limit on the public paths no DRF view serves (MIDDLEWARE_PREFIXES).

    After AuthenticationMiddleware: signed-in staff are not limited, as in the API. A request
    the response cache looked up carries its count already (COUNTED_ATTRIBUTE; a hit over the
    limit never gets here); any other request (the response cache off, a method it does not
    look up, a session cookie that signs no one in) is counted here, once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(MIDDLEWARE_PREFIXES):
            user = getattr(request, "user", None)
            throttle = None
            if not (user and user.is_authenticated):
                throttle = anonymous_throttle_for(request)
            if throttle is not None:
                key = throttle.window_key(request)
                if hasattr(request, COUNTED_ATTRIBUTE):
                    count = getattr(request, COUNTED_ATTRIBUTE)
                else:
                    count = count_request(throttle.cache, key, throttle.duration)
                    setattr(request, COUNTED_ATTRIBUTE, count)
                if not throttle.admits(count):
                    return refusal(request, throttle)
        return self.get_response(request)
