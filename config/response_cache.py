"""A shared response cache for anonymous GETs of the public API, widgets and feeds.

An answer is cached when its view marked it ``Cache-Control: public`` (drafts never are), it
is a 200 and sets no cookie. The key is everything the answer depends on for an anonymous
caller: scheme and host (absolute links), path, query string, the negotiated language and
the Accept header (the format). Each entry carries the directory's generation it was computed
at; every committed write raises the generation (DirectoryState), so every entry goes stale at
once, and no entry outlives its answer's own max-age (shorter when a call's status is about to
change). With Redis the generation, the entry and the caller's anonymous rate count
(config.throttles, on every cacheable path) take one round trip, and a hit runs no SQL.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import cc_delim_re, get_max_age, set_response_etag

from config.throttles import (
    COUNTED_ATTRIBUTE,
    anonymous_throttle_for,
    fetch_and_count,
    refusal,
)
from directory.models.state import (
    GENERATION_CACHE_KEY,
    DirectoryState,
    current_generation,
    generation_lives_in_cache,
)

CACHE_ALIAS = "default"
CACHEABLE_PREFIXES = ("/api/", "/embed/", "/feeds/", "/oembed")
#: headers a cached answer keeps (the outer middleware adds the per-request ones)
_SKIPPED_HEADERS = {"set-cookie", "x-request-id", "x-cache"}


def _is_anonymous(request) -> bool:
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _is_public(response) -> bool:
    directives = {
        part.strip().split("=", 1)[0].lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return "public" in directives and not directives & {"private", "no-store", "no-cache"}


def response_cache_key(request) -> str:
    """The entry key of an anonymous GET: what its answer can depend on, hashed."""
    parts = (
        request.scheme,
        request.get_host(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        getattr(request, "LANGUAGE_CODE", ""),
        request.META.get("HTTP_ACCEPT", ""),
    )
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return f"response:{digest}"


class ResponseCacheMiddleware:
    """Serves cached anonymous GETs and stores the public ones it computes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.RESPONSE_CACHE_SECONDS
        if (
            timeout <= 0
            or request.method not in ("GET", "HEAD")
            or not request.path.startswith(CACHEABLE_PREFIXES)
            or not _is_anonymous(request)
        ):
            return self.get_response(request)

        cache = caches[CACHE_ALIAS]
        key = response_cache_key(request)
        throttle = anonymous_throttle_for(request)
        counter_key = throttle.window_key(request) if throttle else None
        found, count = fetch_and_count(
            cache, [GENERATION_CACHE_KEY, key], counter_key, throttle.duration if throttle else 0
        )
        if counter_key:
            # Counted once here, whether the answer comes from the cache or from the view
            # (on a miss the view's throttle, or AnonymousRateLimitMiddleware, reads the count).
            setattr(request, COUNTED_ATTRIBUTE, count)
        state = None
        if not generation_lives_in_cache(CACHE_ALIAS):
            state = DirectoryState.for_request(request)
        generation = current_generation(
            CACHE_ALIAS, cached=found.get(GENERATION_CACHE_KEY), state=state
        )
        entry = found.get(key)
        now = timezone.now().timestamp()
        fresh = (
            entry is not None and generation is not None and entry[0] == generation
        ) and now < entry[1]
        if fresh:
            if throttle and not throttle.admits(count):
                return refusal(request, throttle)
            return self._rebuild(entry)

        # A miss. The data's own generation is read before the data (the view reuses it for
        # Last-Modified): a read replica that has not replayed the latest write yet shows an
        # older one, and its answer must not be stored as current.
        served_generation = DirectoryState.for_request(request).generation
        response = self.get_response(request)
        # A cached copy never outlives the answer's own freshness (Cache-Control max-age).
        lifetime = min(timeout, get_max_age(response) or 0)
        if (
            generation is not None
            and served_generation >= generation
            and lifetime > 0
            and self._storable(response)
        ):
            # The validator is stored with the body (the same hash ConditionalGetMiddleware
            # would take), so a hit never hashes the body again.
            if not response.has_header("ETag"):
                set_response_etag(response)
            headers = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in _SKIPPED_HEADERS
            ]
            entry = (generation, now + lifetime, response.status_code, headers, response.content)
            cache.set(key, entry, lifetime)
        response["X-Cache"] = "miss"
        return response

    @staticmethod
    def _storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and _is_public(response)
        )

    @staticmethod
    def _rebuild(entry) -> HttpResponse:
        _generation, _expires, status, headers, content = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Cache"] = "hit"
        return response
