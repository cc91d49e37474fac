"""Read replicas: writes go to the primary, reads to a replica, and a request reads its own writes.

Enabled by ``DATABASE_REPLICA_URLS`` (config/settings.py), which adds the database aliases
``replica1``, ``replica2``, … next to ``default`` (the primary) and installs this router and its
middleware. The rules:

* every write goes to the primary;
* a request reads from one replica, the next one in turn (round-robin within each process) when
  the request first reads, and the same one for the rest of the request;
* once a request has written anything (the router was asked where to write), or while a
  transaction is open on the primary, its reads go to the primary: a client always reads its
  own write within the request (a write's response echoes the record from the primary);
* requests with an unsafe method (POST, PUT, PATCH, DELETE) read from the primary from their
  start: the token lookup, the If-Match version check and the validation of slugs must see the
  current data, not a replica that may lag behind;
* sessions are always read from the primary: a sign-in writes one and the redirect that follows
  reads it at once, before a replica may have replayed it; so are API tokens (the ``api``
  app's only model): a revoked token must stop working at once, a new one work at once;
* migrations run on the primary only: replicas receive the schema by replication;
* a replica that cannot be reached is skipped for ``REPLICA_RETRY_SECONDS`` (per process):
  the request reads the next replica, or the primary when none answers, and a warning names
  it. A connection that dies in the middle of a request still fails that request (503); the
  next one connects afresh and is routed around the replica.

Replication lag: a *later* request may read a replica that has not replayed a write yet, so
it can briefly answer with the data from before the write.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from config.errors import DATABASE_UNAVAILABLE_ERRORS, describe_error

logger = logging.getLogger(__name__)

#: Seconds a replica that refused a connection is left alone before it is tried again.
REPLICA_RETRY_SECONDS = 5.0

#: Aliases of the replicas in settings.DATABASES: replica1, replica2, …
REPLICA_PREFIX = "replica"
#: Apps whose rows are read from the primary even in read-only requests (see the module doc).
PRIMARY_ONLY_APPS = frozenset({"sessions", "api"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def replica_aliases() -> list[str]:
    """The replica aliases configured in settings.DATABASES, in order."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@dataclass
class _Routing:
    """Where the reads of the current request (or command) go."""

    #: reads go to the primary (the request wrote, or its method is unsafe)
    pinned: bool = False
    #: the replica chosen for this request, once it first read
    replica: str | None = None


# A mutable object per request rather than plain values: code that runs in a copy of the
# request's context (asgiref's sync_to_async) then still shares the request's routing state.
_routing: contextvars.ContextVar[_Routing] = contextvars.ContextVar("database_routing")


def _current() -> _Routing:
    """The routing state of this request; outside requests (commands), one for the context."""
    try:
        return _routing.get()
    except LookupError:
        state = _Routing()
        _routing.set(state)
        return state


def connects(alias: str) -> bool:
    """Whether the database ``alias`` can be used now (its connection checked, or made)."""
    connection = connections[alias]
    try:
        # What the first query of the request would do anyway: drop a connection that fails
        # its health check, then connect if there is none.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DATABASE_UNAVAILABLE_ERRORS as error:
        logger.warning(
            "read replica %s unreachable (%s); reading elsewhere for %.0f s",
            alias,
            describe_error(error),
            REPLICA_RETRY_SECONDS,
        )
        return False
    return True


class PrimaryReplicaRouter:
    """Routes writes to the primary and reads to a replica, following the module's rules."""

    def __init__(
        self,
        replicas: Sequence[str] | None = None,
        reachable: Callable[[str], bool] = connects,
    ):
        self.replicas = tuple(replica_aliases() if replicas is None else replicas)
        self.aliases = frozenset({DEFAULT_DB_ALIAS, *self.replicas})
        self._turns = itertools.cycle(self.replicas)
        self._reachable = reachable
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _choose_replica(self) -> str:
        """The next replica in turn that answers; the primary when none does."""
        for _ in range(len(self.replicas)):
            with self._lock:
                alias = next(self._turns)
            if time.monotonic() < self._down_until.get(alias, 0.0):
                continue
            if self._reachable(alias):
                return alias
            self._down_until[alias] = time.monotonic() + REPLICA_RETRY_SECONDS
        return DEFAULT_DB_ALIAS

    def db_for_read(self, model, **hints):
        """The primary when the request wrote or a transaction is open there, else its replica."""
        state = _current()
        if (
            not self.replicas
            or state.pinned
            or model._meta.app_label in PRIMARY_ONLY_APPS
            # Reads inside a transaction must see its uncommitted writes.
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        # Related rows of an object follow the database it came from (as without a router).
        instance = hints.get("instance")
        instance_db = getattr(getattr(instance, "_state", None), "db", None)
        if instance_db in self.aliases:
            return instance_db
        if state.replica is None:
            state.replica = self._choose_replica()
        return state.replica

    def db_for_write(self, model, **hints):
        """Always the primary; from now on this request reads there too."""
        _current().pinned = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        """Objects from the primary and its replicas are the same data."""
        if obj1._state.db in self.aliases and obj2._state.db in self.aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """Only the primary: replicas receive the schema by replication."""
        return db == DEFAULT_DB_ALIAS


class ReplicaRoutingMiddleware:
    """Gives every request fresh routing state; unsafe methods read from the primary throughout.

    A middleware rather than receivers of request_started/request_finished: Django imports
    database routers lazily, at the first query, so receivers connected by this module would
    miss the start of each process's first request, and with it the unsafe-method rule for the
    token lookup that is that request's first query. First in MIDDLEWARE, so it wraps every
    query of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _routing.set(_Routing(pinned=request.method not in SAFE_METHODS))
        try:
            return self.get_response(request)
        finally:
            _routing.reset(token)
