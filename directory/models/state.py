"""The directory's change marker: when anything in it last changed, and a generation counter,
for the directory as a whole and for each kind of answer (directory.kinds)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
from collections.abc import Iterable

from django.core.cache import caches
from django.db import connections, models, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from directory.kinds import KINDS

_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_READ_STATE_SQL = "SELECT generation, changed_at, kinds FROM {table} WHERE id = %s"


class DirectoryState(models.Model):
    """One row, bumped after every committed write to the directory.

    ``generation`` and ``changed_at`` move with every write. ``kinds`` holds, for each kind of
    answer (directory.kinds) the write changed, the generation the write reached and its time:
    response caches key on the generations of the kinds an answer depends on, HTTP validators
    (Last-Modified) on their times, so a write makes stale only the answers it can change.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    generation = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=_EPOCH)
    #: kind -> {"generation": the generation of the last write that changed it, "changed_at"}
    kinds = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "directory state"

    def __str__(self) -> str:
        return f"generation {self.generation} at {self.changed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def current(cls) -> DirectoryState:
        """The state row (created on first use).

        Read like any other row, so with read replicas it comes from the replica that serves
        the request's data (the router's choice, as for a queryset); get_or_create would read
        it from the primary (and pin the request there), and only a missing row needs that.

        Every response-cache miss reads it, so it is read with one plain SQL statement rather
        than a queryset: building, compiling and running ``objects.get()`` took 0.25 ms of CPU,
        this 0.10 ms (PostgreSQL; SQLite 0.15 → 0.03 ms; 2026-12-03, five alternating runs of
        1,000); under cProfile the ORM's read was 31 % of a miss of a constant body under
        /api/ (bench/floor_urls.py).
        ``tests/test_state.py`` holds it equal to the ORM's read on both databases.
        """
        alias = router.db_for_read(cls)
        with connections[alias].cursor() as cursor:
            table = connections[alias].ops.quote_name(cls._meta.db_table)
            cursor.execute(_READ_STATE_SQL.format(table=table), [cls.SINGLETON_ID])
            row = cursor.fetchone()
        if row is None:
            return cls.objects.get_or_create(id=cls.SINGLETON_ID)[0]
        generation, changed_at, kinds = row
        # The same Python values the ORM's converters give: an aware time (SQLite keeps UTC
        # without its zone), the JSON document parsed.
        if isinstance(changed_at, str):
            changed_at = parse_datetime(changed_at)
        if timezone.is_naive(changed_at):
            changed_at = timezone.make_aware(changed_at, datetime.UTC)
        if isinstance(kinds, str | bytes):
            kinds = json.loads(kinds)
        return cls.from_db(
            alias,
            ["id", "generation", "changed_at", "kinds"],
            [cls.SINGLETON_ID, generation, changed_at, kinds],
        )

    @classmethod
    def for_request(cls, request) -> DirectoryState:
        """The state row, loaded at most once per (read) request and remembered on it."""
        state = getattr(request, "directory_state", None)
        if state is None:
            state = request.directory_state = cls.current()
        return state

    def generation_of(self, kind: str) -> int:
        """The generation of the last write that changed answers of ``kind`` (a kind never
        marked yet follows the whole directory's)."""
        return self.kinds.get(kind, {}).get("generation", self.generation)

    def generations(self, kinds: Iterable[str]) -> tuple[int, ...]:
        return tuple(self.generation_of(kind) for kind in kinds)

    def changed_at_of(self, kinds: Iterable[str]) -> datetime.datetime:
        """When answers depending on ``kinds`` last changed."""
        times = []
        for kind in kinds:
            stamp = self.kinds.get(kind, {}).get("changed_at")
            times.append(parse_datetime(stamp) if stamp else self.changed_at)
        return max(times, default=self.changed_at)

    @classmethod
    def bump(
        cls,
        using: str | None = None,
        kinds: Iterable[str] | None = None,
        records: Iterable[str] = (),
    ) -> None:
        """Mark the directory, the ``kinds`` of answer the writes change and the ``records``
        whose details they change (directory.kinds.record_key), as changed once the current
        transaction commits.

        One bump per transaction, however many records it writes: the kinds and records of
        all its bumps together. ``kinds`` None: every kind — unless a write service reports
        the kinds itself at the end of its transaction (:func:`kinds_reported`), as the public
        feed's batch does; then this bump only moves the directory's own generation.
        """
        alias = using or "default"
        connection = transaction.get_connection(alias)
        if kinds is None:
            kinds = () if _reported.get() and connection.in_atomic_block else KINDS
        if connection.in_atomic_block:
            for entry in connection.run_on_commit:
                if isinstance(entry[1], _Bump) and entry[1].model is cls:
                    entry[1].kinds.update(kinds)
                    entry[1].records.update(records)
                    return
        transaction.on_commit(_Bump(cls, alias, set(kinds), set(records)), using=alias)


class _Bump:
    """The commit callback of one transaction's bump, gathering the kinds and records it
    changed."""

    def __init__(self, model, alias: str, kinds: set[str], records: set[str]):
        self.model, self.alias, self.kinds, self.records = model, alias, kinds, records

    def __call__(self) -> None:
        _apply_bump(self.model, self.alias, self.kinds, self.records)


_reported: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "directory_kinds_reported", default=False
)


@contextlib.contextmanager
def kinds_reported():
    """Writes inside (in a transaction) will name the kinds of answer they change with one
    ``DirectoryState.bump(kinds=...)``; the bumps of each record's save (directory.signals)
    and of bulk writes then leave the kinds to it."""
    token = _reported.set(True)
    try:
        yield
    finally:
        _reported.reset(token)


def generation_cache_key(kind: str) -> str:
    """The cache key of the generation of ``kind`` that cached responses are checked against."""
    return f"directory:generation:{kind}"


def record_cache_key(record: str) -> str:
    """The cache key of the generation of one record's representation (directory.kinds
    record_key): the generation of the last write that changed it, in a shared cache only.
    Its detail and every list page showing it depend on it."""
    return f"directory:record:{record}"


def generation_lives_in_cache(cache_alias: str = "default") -> bool:
    """Whether the generation is mirrored in the cache (one shared by every app server)."""
    return getattr(caches[cache_alias], "shared_between_processes", False)


def _publish_generations(
    generations: dict[str, int], records: dict[str, int] | None = None, cache_alias="default"
) -> None:
    """Leave a committed write's generations (of kinds, and of the records whose details it
    changed) where every app server's cache checks look, in one round trip.

    Only ever raised: a slower process publishing an older write after a newer one must not
    take a generation back (the answers cached in between would pass for current).
    """
    if not (generations or records) or not generation_lives_in_cache(cache_alias):
        return
    values = {generation_cache_key(kind): value for kind, value in generations.items()}
    values.update({record_cache_key(record): value for record, value in (records or {}).items()})
    backend = caches[cache_alias]
    if hasattr(backend, "raise_many"):
        backend.raise_many(values)
    else:
        backend.set_many(values, None)


def _apply_bump(model, alias: str, kinds: Iterable[str], records: Iterable[str] = ()) -> None:
    kinds = sorted(kinds)
    now = timezone.now()
    with transaction.atomic(using=alias):
        rows = model.objects.using(alias).filter(id=model.SINGLETON_ID)
        # The UPDATE first: it takes the row's lock, so a concurrent bump waits for this one's
        # commit and the read below sees the generation this one reached.
        if not rows.update(generation=F("generation") + 1, changed_at=now):
            model.objects.using(alias).get_or_create(id=model.SINGLETON_ID)
            rows.update(generation=F("generation") + 1, changed_at=now)
        state = rows.get()
        untracked = [kind for kind in KINDS if kind not in state.kinds]
        if kinds or untracked:
            # A kind no bump has named yet (a new one, or a new row) follows the directory's
            # generation until now; from here on it moves only with the writes that name it.
            for kind in untracked:
                state.kinds[kind] = {
                    "generation": state.generation - 1,
                    "changed_at": now.isoformat(),
                }
            for kind in kinds:
                state.kinds[kind] = {"generation": state.generation, "changed_at": now.isoformat()}
            state.save(update_fields=["kinds"])
    _publish_generations(
        dict.fromkeys(kinds, state.generation), dict.fromkeys(records, state.generation)
    )
