"""A shared response cache for anonymous GETs of the public API, widgets and feeds.

An answer is cached when its view marked it ``Cache-Control: public`` (drafts never are), it
is a 200 and sets no cookie. The key is everything the answer depends on for an anonymous
caller: scheme and host (absolute links), path, query string, the negotiated language and
the Accept header (the format). An answer depends on one or more kinds of answer
(directory.kinds: one per API resource, plus the changes feed), known from its path
(:func:`answer_kinds`); each entry carries the generations of its kinds it was computed at, and
a committed write raises the generations of the kinds it changed (DirectoryState), so it makes
stale only the entries it can affect. A record's detail (:func:`answer_record`) depends, with a
shared cache, not on its kind's generation but on its own (raised only by writes that change
it: directory.kinds.record_key) and on its kind's ``details`` generation. No entry outlives
its answer's own max-age (shorter when a call's status is about to change). With Redis the
generations, the entry and the caller's anonymous rate count (config.throttles, on every
cacheable path) take one round trip, and a hit runs no SQL.
"""

from __future__ import annotations

import hashlib
import time

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
from directory.kinds import CHANGES, KINDS, RECORD_KINDS, details, record_key
from directory.models.state import (
    DirectoryState,
    current_generations,
    generation_cache_key,
    generation_lives_in_cache,
    record_cache_key,
    record_generation,
)

CACHE_ALIAS = "default"
CACHEABLE_PREFIXES = ("/api/", "/embed/", "/feeds/", "/oembed")
#: How long a miss waits for another worker already computing the same answer (with a shared
#: cache) before computing it itself; a worker that died holding the claim frees it as soon.
#: After a write, the requests arriving for an answer while it is recomputed (under load, a
#: filtered page at 100k facilities takes 0.1–0.5 s) would all compute it; they wait for the
#: first one's answer instead (X-Cache: coalesced).
COALESCE_SECONDS = 2.0
COALESCE_POLL_SECONDS = 0.01
#: headers a cached answer keeps (the outer middleware adds the per-request ones)
_SKIPPED_HEADERS = {"set-cookie", "x-request-id", "x-cache"}
#: The kind of answer of each resource of the API (/api/v1/<resource>/) and of the widgets.
RESOURCE_KINDS = {
    "facilities": "facility",
    "programmes": "programme",
    "calls": "call",
    "calls.ics": "call",
    "institutions": "institution",
    "agreements": "agreement",
    "techniques": "technique",
    "fields": "field",
    "sources": "source",
}


def answer_kinds(path: str) -> tuple[str, ...]:
    """The kinds of answer (directory.kinds) the answer at ``path`` depends on.

    A resource's lists and calendar: its kind; a record's detail: its kind and every detail of
    the kind (:func:`answer_record` says which record); the cross search: every record kind;
    the changes feed (the API's and the Atom one): ``changes``. Anything else (the API root,
    its schema and documentation, oEmbed, the widget builder): every kind, to be safe.
    """
    parts = path.split("/")
    if path.startswith("/api/v1/"):
        resource = parts[3]
        if answer_record(path):
            return (RESOURCE_KINDS[resource], details(RESOURCE_KINDS[resource]))
        if resource in RESOURCE_KINDS:
            return (RESOURCE_KINDS[resource],)
        if resource == "search":
            return RECORD_KINDS
        if resource == "changes":
            return (CHANGES,)
    elif path.startswith("/embed/") and len(parts) == 4 and parts[3] == "":
        if parts[2] in RESOURCE_KINDS:
            return (RESOURCE_KINDS[parts[2]],)
    elif path.startswith("/feeds/"):
        return (CHANGES,)
    return KINDS


def _claim(key: str) -> str:
    """The key a worker computing the answer stored at ``key`` holds meanwhile."""
    return f"{key}:computing"


def answer_record(path: str) -> tuple[str, str] | None:
    """For a record's detail (``/api/v1/<resource>/<slug>/``): the record's kind and its
    directory.kinds.record_key; else None."""
    parts = path.split("/")
    if (
        len(parts) == 6
        and parts[1] == "api"
        and parts[2] == "v1"
        and parts[3] in RESOURCE_KINDS
        and parts[4]
        and parts[5] == ""
    ):
        kind = RESOURCE_KINDS[parts[3]]
        return kind, record_key(kind, parts[4])
    return None


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
        kinds = answer_kinds(request.path)
        shared = generation_lives_in_cache(CACHE_ALIAS)
        # With a shared cache the generations of the answer's kinds (and of its record, for
        # a detail) come with the entry.
        record = answer_record(request.path) if shared else None
        keys = [generation_cache_key(kind) for kind in kinds] if shared else []
        if record:
            keys.append(record_cache_key(record[1]))
        throttle = anonymous_throttle_for(request)
        counter_key = throttle.window_key(request) if throttle else None
        found, count = fetch_and_count(
            cache, [*keys, key], counter_key, throttle.duration if throttle else 0
        )
        if counter_key:
            # Counted once here, whether the answer comes from the cache or from the view
            # (on a miss the view's throttle, or AnonymousRateLimitMiddleware, reads the count).
            setattr(request, COUNTED_ATTRIBUTE, count)
        state = None if shared else DirectoryState.for_request(request)
        if record:
            generations = self._detail_generations(record, found)
        else:
            generations = current_generations(kinds, CACHE_ALIAS, found=found, state=state)
        entry = found.get(key)
        now = timezone.now().timestamp()
        fresh = (
            entry is not None and generations is not None and entry[0] == generations
        ) and now < entry[1]
        if fresh:
            if throttle and not throttle.admits(count):
                return refusal(request, throttle)
            return self._rebuild(entry)

        # A miss. With a shared cache the first request computes the answer and the others
        # asking for it meanwhile wait for it (each still counted against its own limit).
        claim = None
        if shared and generations is not None:
            claim = _claim(key)
            if not cache.add(claim, 1, COALESCE_SECONDS):
                entry = self._await(cache, key, generations)
                if entry is not None:
                    if throttle and not throttle.admits(count):
                        return refusal(request, throttle)
                    return self._rebuild(entry, "coalesced")
                claim = None  # waited long enough: compute it here
        try:
            return self._compute(request, cache, key, generations, timeout, now)
        finally:
            if claim:
                cache.delete(claim)

    def _compute(self, request, cache, key, generations, timeout, now):
        # The data's own generation is read before the data (the view reuses it for
        # Last-Modified): a read replica that has not replayed the latest write of the
        # answer's kinds yet shows an older one, and its answer must not be stored as current.
        # (Each kind's generation is the directory's generation its last write reached.)
        served_generation = DirectoryState.for_request(request).generation
        response = self.get_response(request)
        # A cached copy never outlives the answer's own freshness (Cache-Control max-age).
        lifetime = min(timeout, get_max_age(response) or 0)
        if (
            generations is not None
            and served_generation >= max(generations)
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
            entry = (generations, now + lifetime, response.status_code, headers, response.content)
            cache.set(key, entry, lifetime)
        response["X-Cache"] = "miss"
        return response

    @staticmethod
    def _detail_generations(record: tuple[str, str], found: dict) -> tuple[int, int] | None:
        """A detail's generations with a shared cache: every detail of its kind's, and its
        record's own (which its kind's generation seeds: directory.models.state)."""
        kind, name = record
        (every_detail,) = current_generations((details(kind),), CACHE_ALIAS, found=found) or (None,)
        own = record_generation(kind, name, CACHE_ALIAS, found)
        if every_detail is None or own is None:
            return None
        return every_detail, own

    @staticmethod
    def _storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and _is_public(response)
        )

    @staticmethod
    def _await(cache, key, generations):
        """The entry another worker is computing, once stored at ``generations`` (None after
        COALESCE_SECONDS, or if it stored none: an error, a stale answer)."""
        deadline = time.monotonic() + COALESCE_SECONDS
        while time.monotonic() < deadline:
            time.sleep(COALESCE_POLL_SECONDS)
            found = cache.get_many([key, _claim(key)])
            entry, computing = found.get(key), found.get(_claim(key))
            if entry is not None and entry[0] == generations:
                return entry
            if computing is None:
                return None  # computed without storing an answer, or the claim expired
        return None

    @staticmethod
    def _rebuild(entry, state: str = "hit") -> HttpResponse:
        _generations, _expires, status, headers, content = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Cache"] = state
        return response
