"""The directory's change marker: when anything in it last changed, and a generation counter."""

from __future__ import annotations

import datetime
import functools

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

#: The cache key of the generation that cached responses are checked against.
GENERATION_CACHE_KEY = "directory:generation"


def generation_lives_in_cache(cache_alias: str = "default") -> bool:
    """Whether the generation is mirrored in the cache (one shared by every app server)."""
    return getattr(caches[cache_alias], "shared_between_processes", False)


def current_generation(
    cache_alias: str = "default",
    cached: int | None = None,
    state: DirectoryState | None = None,
) -> int | None:
    """The directory's generation, which grows with every committed write.

    With a cache shared by every app server (Redis) it is read from that cache, where each
    committed write leaves it, so reading it costs no SQL; ``cached`` is its value when the
    caller already fetched it. With a per-process cache another process's write could not
    reach it, so it is read from the database (``state``, when the caller already loaded it).
    ``None`` means it cannot be known (the shared cache is unreachable): callers must then
    not use cached answers.
    """
    if not generation_lives_in_cache(cache_alias):
        return (state or DirectoryState.current()).generation
    if cached is not None:
        return cached
    backend = caches[cache_alias]
    generation = backend.get(GENERATION_CACHE_KEY)
    if generation is None and getattr(backend, "answering", True):
        # First use, or Redis lost its data: seed it from the primary, never a replica that
        # may lag behind (its older generation would bless answers that are already stale).
        primary = DirectoryState.objects.using("default").filter(id=DirectoryState.SINGLETON_ID)
        backend.add(GENERATION_CACHE_KEY, primary.values_list("generation", flat=True).first())
        generation = backend.get(GENERATION_CACHE_KEY)
    return generation


def _publish_generation(generation: int, cache_alias: str = "default") -> None:
    """Leave a committed write's generation where every app server's cache checks look."""
    if generation_lives_in_cache(cache_alias):
        caches[cache_alias].set(GENERATION_CACHE_KEY, generation, None)


def _apply_bump(model, alias: str) -> None:
    rows = model.objects.using(alias).filter(id=model.SINGLETON_ID)
    if not rows.update(generation=F("generation") + 1, changed_at=timezone.now()):
        rows.model.objects.using(alias).get_or_create(
            id=model.SINGLETON_ID, defaults={"generation": 1, "changed_at": timezone.now()}
        )
    _publish_generation(rows.values_list("generation", flat=True).first())
