"""The directory's change marker: when anything in it last changed, and a generation counter."""

from __future__ import annotations

import datetime
import functools

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
        """The state row (created on first use)."""
        state, _ = cls.objects.get_or_create(id=cls.SINGLETON_ID)
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
