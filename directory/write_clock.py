"""The time a write stamps on the records it changes (``updated_at``).

The ``?sync=true`` pages of the lists (directory.selectors.SYNC_ORDER) hand a reader the
records changed after the last one it read, in the order of ``updated_at``; a record stamped
*earlier* than one already read, but committed *later*, would never reach that reader. On
PostgreSQL the directory's writers take turns (directory.services.feed.take_writers_lock),
so stamps follow the commits when they come from one clock — but app servers' clocks differ
by milliseconds or more, and a write on a server whose clock is behind would stamp its
records before the previous write's. So the outermost batch of writes reads the database's
clock once it holds the writers' turn, and every record it saves is stamped with that time
(:class:`WriteTimeField`): one clock for every app server, read in turn. Outside such a batch
(SQLite, which is one machine's file; a write outside a transaction) the app's own clock.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime

from django.db import models
from django.utils import timezone

_stamp: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar(
    "directory_write_stamp", default=None
)


def now() -> datetime.datetime:
    """The time to stamp on a record written now (see the module)."""
    return _stamp.get() or timezone.now()


@contextlib.contextmanager
def stamped(moment: datetime.datetime | None):
    """Stamp the records written inside with ``moment`` (None: the app's clock)."""
    token = _stamp.set(moment)
    try:
        yield
    finally:
        _stamp.reset(token)


class WriteTimeField(models.DateTimeField):
    """A ``DateTimeField`` whose ``auto_now``/``auto_now_add`` take :func:`now` (the
    database's clock within a write batch on PostgreSQL) instead of the app server's."""

    def pre_save(self, model_instance, add):
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)
