"""The directory's change marker: when anything in it last changed, and a generation counter."""

from __future__ import annotations

import datetime
import functools
import uuid

from django.core.cache import caches
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


class DirectoryState(models.Model):
    """One row, bumped after every committed write to the directory.

    HTTP validators (Last-Modified) and response caches key on it, so a write anywhere
    makes every cached answer stale at once.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    generation = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=_EPOCH)

    class Meta:
        verbose_name = "directory state"

    def __str__(self) -> str:
        return f"generation {self.generation} at {self.changed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def current(cls) -> DirectoryState:
        """The state row (created on first use).

        Read like any other row, so with read replicas it comes from the replica that serves
        the request's data; get_or_create would read it from the primary (and pin the request
        there), and only a missing row needs that.
        """
        try:
            return cls.objects.get(id=cls.SINGLETON_ID)
        except cls.DoesNotExist:
            return cls.objects.get_or_create(id=cls.SINGLETON_ID)[0]

    @classmethod
    def for_request(cls, request) -> DirectoryState:
        """The state row, loaded at most once per (read) request and remembered on it."""
        state = getattr(request, "directory_state", None)
        if state is None:
            state = request.directory_state = cls.current()
        return state

    @classmethod
    def bump(cls, using: str | None = None) -> None:
        """Mark the directory as changed once the current transaction commits.

        One bump per transaction, however many records it writes.
        """
        alias = using or "default"
        callback = _BUMPERS.get(alias)
        if callback is None:
            callback = _BUMPERS.setdefault(alias, functools.partial(_apply_bump, cls, alias))
        connection = transaction.get_connection(alias)
        if connection.in_atomic_block and any(
            entry[1] is callback for entry in connection.run_on_commit
        ):
            return
        transaction.on_commit(callback, using=alias)


_BUMPERS: dict[str, functools.partial] = {}

#: The cache key of the generation token that cached responses are checked against.
GENERATION_CACHE_KEY = "directory:generation"


def token_lives_in_cache(cache_alias: str = "default") -> bool:
    """Whether the generation token is kept in the cache (shared by every app server)."""
    return getattr(caches[cache_alias], "shared_between_processes", False)


def generation_token(
    cache_alias: str = "default",
    cached: str | None = None,
    state: DirectoryState | None = None,
) -> str | None:
    """A token that changes whenever a write to the directory commits.

    With a cache shared by every app server (Redis) the token lives in that cache, so reading
    it costs no SQL; ``cached`` is its value when the caller already fetched it. With a
    per-process cache a write in another process could not reach it, so the token is the
    database's generation counter instead (``state``, when the caller already loaded it).
    ``None`` means the token cannot be known (the shared cache is unreachable): callers must
    then not use cached answers.
    """
    backend = caches[cache_alias]
    if not token_lives_in_cache(cache_alias):
        return f"db-{(state or DirectoryState.current()).generation}"
    if cached is not None:
        return cached
    token = backend.get(GENERATION_CACHE_KEY)
    if token is None:
        # First use, or Redis lost its data: any new value differs from every token that
        # cached answers were stored under.
        backend.add(GENERATION_CACHE_KEY, uuid.uuid4().hex, None)
        token = backend.get(GENERATION_CACHE_KEY)
    return token


def renew_generation_token(cache_alias: str = "default") -> None:
    """Make every cached answer stale (called once a write has committed)."""
    backend = caches[cache_alias]
    if getattr(backend, "shared_between_processes", False):
        backend.set(GENERATION_CACHE_KEY, uuid.uuid4().hex, None)


def _apply_bump(model, alias: str) -> None:
    updated = (
        model.objects.using(alias)
        .filter(id=model.SINGLETON_ID)
        .update(generation=F("generation") + 1, changed_at=timezone.now())
    )
    if not updated:
        model.objects.using(alias).get_or_create(
            id=model.SINGLETON_ID, defaults={"generation": 1, "changed_at": timezone.now()}
        )
    renew_generation_token()
