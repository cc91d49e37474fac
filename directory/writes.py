"""The guard of the one write path: directory records are saved only inside a write service.

Every write service of :mod:`directory.services` runs its saves inside :func:`service_write`.
A save, delete or bulk write of a directory record anywhere else raises
:class:`DirectWriteError` at once, so a new code path that forgets the services (and with
them validation, history, the change event and the public feed) fails its first test
instead of writing records nobody can trace.
"""

from __future__ import annotations

import contextlib
import contextvars

_inside_service: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "directory_inside_write_service", default=False
)


class DirectWriteError(RuntimeError):
    """A directory record was written outside the write services."""


@contextlib.contextmanager
def service_write():
    """Allow record writes for the duration (the write services' own saves)."""
    token = _inside_service.set(True)
    try:
        yield
    finally:
        _inside_service.reset(token)


def inside_service() -> bool:
    return _inside_service.get()


#: Switched on once every write path calls the services (work in progress).
ENFORCED = True


def check_write(what: object, operation: str) -> None:
    """Refuse a write of ``what`` (a record or a model) unless a write service is running."""
    if ENFORCED and not _inside_service.get():
        name = getattr(what, "_meta", None)
        label = name.label if name is not None else type(what).__name__
        raise DirectWriteError(
            f"{operation} of {label} outside the write services: call "
            "directory.services (record_create, record_update, record_delete, …) instead, "
            "so that the write is validated, recorded in the history and the change feed."
        )
