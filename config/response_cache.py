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
from django.utils.cache import cc_delim_re, get_max_age, patch_vary_headers, set_response_etag

from config.fingerprint import CODE_FINGERPRINT
from config.request_stacks import is_anonymous
from config.throttles import (
    COUNTED_ATTRIBUTE,
    anonymous_throttle_for,
    fetch_and_count,
    refusal,
)
from directory.kinds import CHANGES, KINDS, RECORD_KINDS, details, record_key
from directory.models.state import (
    DirectoryState,
    generation_cache_key,
    generation_lives_in_cache,
    record_cache_key,
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
    "instruments": "instrument",
}

#: Answers at a resource's path that are no record's detail (/api/v1/<resource>/<name>/), and
#: the kinds each reads: the affiliation match reads institutions and the facilities they run.
RESOURCE_ANSWERS = {("institutions", "match"): ("institution", "facility")}


def answer_kinds(path: str) -> tuple[str, ...]:
    """The kinds of answer (directory.kinds) the answer at ``path`` depends on.

    A resource's lists and calendar: its kind; a record's detail: its kind and every detail of
    the kind (:func:`answer_record` says which record); another answer at a resource's path
    (:data:`RESOURCE_ANSWERS`): the kinds it reads; the cross search: every record kind;
    the changes feed (the API's and the Atom one): ``changes``. Anything else (the API root,
    its schema and documentation, oEmbed, the widget builder): every kind, to be safe.
    """
    parts = path.split("/")
    if path.startswith("/api/v1/"):
        resource = parts[3]
        if len(parts) == 6 and (resource, parts[4]) in RESOURCE_ANSWERS and parts[5] == "":
            return RESOURCE_ANSWERS[(resource, parts[4])]
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


def _primary_generation() -> int:
    """The directory's generation on the primary database (never a replica that may lag)."""
    primary = DirectoryState.objects.using("default").filter(id=DirectoryState.SINGLETON_ID)
    return primary.values_list("generation", flat=True).first() or 0


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
        and (parts[3], parts[4]) not in RESOURCE_ANSWERS
    ):
        kind = RESOURCE_KINDS[parts[3]]
        return kind, record_key(kind, parts[4])
    return None


def _is_public(response) -> bool:
    directives = {
        part.strip().split("=", 1)[0].lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return "public" in directives and not directives & {"private", "no-store", "no-cache"}


def response_cache_key(request) -> str:
    """The entry key of an anonymous GET: what its answer can depend on, hashed — the code
    that computed it too (config.fingerprint: a deploy never serves the old release's)."""
    parts = (
        CODE_FINGERPRINT,
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
            or not is_anonymous(request)
        ):
            return self.get_response(request)
        cache = caches[CACHE_ALIAS]
        if generation_lives_in_cache(CACHE_ALIAS):
            return self._shared(request, cache, timeout)
        return self._local(request, cache, timeout)

    # --- a cache every app server shares (Redis) ------------------------------------------

    def _shared(self, request, cache, timeout):
        """Each entry is kept with the keys it depends on and the directory's generation its
        data was read at; it is fresh while none of those keys went past that generation
        (config.cache: one script with the rate count, one round trip)."""
        key = response_cache_key(request)
        throttle = anonymous_throttle_for(request)
        counter_key = throttle.window_key(request) if throttle else None
        # A miss claims the answer in the same round trip: the first request computes it and
        # the others asking for it meanwhile wait for it (each still counted against its
        # own limit).
        claim = _claim(key)
        entry, count, claimed = cache.fresh_entry_and_count(
            key,
            counter_key,
            throttle.duration if throttle else 0,
            claim=claim,
            claim_seconds=COALESCE_SECONDS,
        )
        if counter_key:
            # Counted once here, whether the answer comes from the cache or from the view
            # (on a miss the view's throttle, or AnonymousRateLimitMiddleware, reads the count).
            setattr(request, COUNTED_ATTRIBUTE, count)
        if entry is not None:
            if throttle and not throttle.admits(count):
                return refusal(request, throttle)
            return self._rebuild(entry)
        if not cache.answering:
            # Redis is down: serve without the cache.
            response = self.get_response(request)
            response["X-Cache"] = "miss"
            return response

        if not claimed:
            entry = self._await(cache, key)
            if entry is not None:
                if throttle and not throttle.admits(count):
                    return refusal(request, throttle)
                return self._rebuild(entry, "coalesced")
            claim = None  # waited long enough: compute it here
        stored = False
        try:
            # The generation of the data is read before the data: a write committed after
            # it raises what it changed beyond it, so the entry is stale from then on (and a
            # lagging read replica's older generation makes it stale sooner, never later).
            generation = DirectoryState.for_request(request).generation
            response = self.get_response(request)
            lifetime = self._lifetime(response, timeout)
            if lifetime:
                # Stored with the claim released in the same round trip.
                stored = cache.store_entry(
                    key,
                    self._entry(request, response, generation, lifetime),
                    generation=generation,
                    dependencies=self._dependencies(request.path, response),
                    timeout=lifetime,
                    seed=_primary_generation,
                    claim=claim,
                )
            response["X-Cache"] = "miss"
            return response
        finally:
            if claim and not stored:
                cache.delete(claim)

    @staticmethod
    def _dependencies(path: str, response) -> list[str]:
        """The keys of the generations the answer depends on: what its view declared (a
        list page: directory.kinds.list_dependencies), else what its path says — a detail,
        its record's own and every detail of its kind; anything else, its kinds."""
        declared = getattr(response, "answer_dependencies", None)
        if declared is not None:
            kinds, records = declared
        else:
            record = answer_record(path)
            if record:
                kinds, records = (details(record[0]),), (record[1],)
            else:
                kinds, records = answer_kinds(path), ()
        return [
            *(generation_cache_key(kind) for kind in kinds),
            *(record_cache_key(name) for name in records),
        ]

    @staticmethod
    def _await(cache, key):
        """The entry another worker is computing, once stored fresh (None after
        COALESCE_SECONDS, or if it stored none: an error, a stale answer)."""
        deadline = time.monotonic() + COALESCE_SECONDS
        while time.monotonic() < deadline:
            time.sleep(COALESCE_POLL_SECONDS)
            entry, _count, _claimed = cache.fresh_entry_and_count(key, None, 0)
            if entry is not None:
                return entry
            if cache.get(_claim(key)) is None:
                entry, _count, _claimed = cache.fresh_entry_and_count(key, None, 0)
                return entry  # computed (stored or not), or the claim expired
        return None

    # --- a cache of this process only (locmem) ---------------------------------------------

    def _local(self, request, cache, timeout):
        """Another process's write cannot reach this cache: the generations of the answer's
        kinds are read from the database with the entry's key, and kept with the entry."""
        key = response_cache_key(request)
        kinds = answer_kinds(request.path)
        throttle = anonymous_throttle_for(request)
        counter_key = throttle.window_key(request) if throttle else None
        found, count = fetch_and_count(
            cache, [key], counter_key, throttle.duration if throttle else 0
        )
        if counter_key:
            setattr(request, COUNTED_ATTRIBUTE, count)
        state = DirectoryState.for_request(request)
        generations = state.generations(kinds)
        entry = found.get(key)
        now = timezone.now().timestamp()
        if entry is not None and entry[0] == generations and now < entry[1]:
            if throttle and not throttle.admits(count):
                return refusal(request, throttle)
            return self._rebuild(entry)
        response = self.get_response(request)
        lifetime = self._lifetime(response, timeout)
        if lifetime:
            cache.set(key, self._entry(request, response, generations, lifetime), lifetime)
        response["X-Cache"] = "miss"
        return response

    # --- both -------------------------------------------------------------------------------

    def _lifetime(self, response, timeout) -> int:
        """How long the answer may be kept: 0 if not at all. A cached copy never outlives
        the answer's own freshness (Cache-Control max-age)."""
        if not self._storable(response):
            return 0
        return max(0, min(timeout, get_max_age(response) or 0))

    @staticmethod
    def _entry(request, response, generations, lifetime) -> tuple:
        # SessionMiddleware, outside this one, adds "Vary: Cookie" to an answer that read the
        # session (every API view asks who the caller is) only after the entry is stored, and
        # on a hit nothing reads the session: the entry carries it, so a hit varies as its
        # miss did (a signed-in curator's cookie does change the answer: drafts).
        session = getattr(request, "session", None)
        if session is not None and session.accessed:
            patch_vary_headers(response, ("Cookie",))
        # The validator is stored with the body (the same hash ConditionalGetMiddleware
        # would take), so a hit never hashes the body again.
        if not response.has_header("ETag"):
            set_response_etag(response)
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in _SKIPPED_HEADERS
        ]
        expires = timezone.now().timestamp() + lifetime
        return (generations, expires, response.status_code, headers, response.content)

    @staticmethod
    def _storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and _is_public(response)
        )

    @staticmethod
    def _rebuild(entry, state: str = "hit") -> HttpResponse:
        _generations, _expires, status, headers, content = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Cache"] = state
        return response
