"""A Redis cache that degrades to "no cache" instead of failing requests.

Django's built-in Redis backend raises when Redis is unreachable, which would turn every
cached read, throttle check and readiness probe into a 500. Here a Redis error is logged and
the operation behaves like a miss (reads) or a no-op (writes), so the directory keeps serving
from the database. After a failure the backend stops asking Redis for ``RETRY_AFTER_SECONDS``
(a small circuit breaker): an outage costs one connection timeout per process and pause, not
one per request, and the log gets one line per pause instead of a flood.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("config.cache")

#: KEYS[i] = ARGV[i] unless KEYS[i] already holds a greater integer (see raise_many). Django's
#: Redis serializer stores integers as their digits, which tonumber reads.
_RAISE_SCRIPT = """
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key))
  if current == nil or current < tonumber(ARGV[i]) then
    redis.call('SET', key, ARGV[i])
  end
end
"""


#: The stored answer at KEYS[1] (a hash: ``entry``, and ``deps``: "<generation> <key> …") if
#: every key it depends on exists and holds at most that generation — the directory's
#: generation its data was read at (config.response_cache). Else, given a claim key KEYS[2],
#: 1 if this caller now holds it (SET NX, ARGV[1] milliseconds: it computes the answer) and 0
#: if another does; without one, false. The dependency keys are read inside the script, not
#: passed as KEYS: this needs one Redis, not a cluster.
_FRESH_SCRIPT = """
local function fresh()
  local stored = redis.call('HMGET', KEYS[1], 'deps', 'entry')
  local deps, entry = stored[1], stored[2]
  if not deps or not entry then return false end
  local keys = {}
  for word in string.gmatch(deps, '%S+') do keys[#keys + 1] = word end
  local limit = tonumber(table.remove(keys, 1))
  for first = 1, #keys, 500 do
    local values = redis.call('MGET', unpack(keys, first, math.min(first + 499, #keys)))
    for _, value in ipairs(values) do
      local generation = value and tonumber(value)
      if not generation or generation > limit then return false end
    end
  end
  return entry
end
local entry = fresh()
if entry then return entry end
if KEYS[2] then
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 1 end
  return 0
end
return false
"""

#: Keep the answer ARGV[2] at KEYS[1] for ARGV[3] seconds, fresh while the keys KEYS[3..]
#: hold at most the generation ARGV[1], and release the claim KEYS[2] (if given): 1. A
#: dependency key that does not exist is not set here: the script returns the positions
#: (1-based, among KEYS[3..]) of the missing ones and stores nothing (see store_entry).
_STORE_SCRIPT = """
local missing = {}
if #KEYS > 2 then
  local values = redis.call('MGET', unpack(KEYS, 3))
  for i = 1, #KEYS - 2 do
    if not values[i] then missing[#missing + 1] = i end
  end
end
if #missing > 0 then return missing end
local deps = {ARGV[1]}
for i = 3, #KEYS do deps[#deps + 1] = KEYS[i] end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'deps', table.concat(deps, ' '), 'entry', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if KEYS[2] ~= '' then redis.call('DEL', KEYS[2]) end
return 1
"""


class CacheUnavailable(Exception):
    """Redis could not be reached; callers that must know (readiness) catch this."""


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every operation, which costs more than the round
    trip itself on loopback (0.12 ms each, measured); the object is thread-safe and cheap to
    keep.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, but an unreachable Redis means a miss, never an exception.

    ``shared_between_processes`` tells the response cache that a value written here is seen
    by every app server, so the directory's generation kept here invalidates them all at once.
    """

    shared_between_processes = True
    #: seconds to stop asking Redis after a failure
    RETRY_AFTER_SECONDS = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    # --- the breaker ------------------------------------------------------------------

    def _call(self, operation: str, fallback, function, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return function(*args, **kwargs)
        except RedisError as error:
            with self._lock:
                already_down = time.monotonic() < self._down_until
                self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
            if not already_down:
                logger.warning(
                    "cache unavailable (%s failed: %s: %s); serving without the cache "
                    "and retrying in %.0f s",
                    operation,
                    error.__class__.__name__,
                    error,
                    self.RETRY_AFTER_SECONDS,
                )
            return fallback

    @property
    def answering(self) -> bool:
        """False while paused after a failure: a miss then says nothing about the data."""
        return time.monotonic() >= self._down_until

    def is_available(self) -> bool:
        """Ping Redis now, bypassing the breaker; raise CacheUnavailable naming the error."""
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as error:
            raise CacheUnavailable(f"{error.__class__.__name__}: {error}") from error
        self._down_until = 0.0
        return True

    def get_many_and_count(self, keys, counter_key, window_seconds, version=None):
        """``get_many(keys)`` and an increment of ``counter_key`` in one round trip.

        The counter is created to expire after ``window_seconds`` (a rate-limit window).
        Returns ``(found, count)``; ``({}, None)`` while Redis is unreachable. With no
        ``keys`` it only counts.
        """

        def pipelined():
            client = self._cache.get_client(write=True)
            counter = self.make_and_validate_key(counter_key, version=version)
            pipeline = client.pipeline(transaction=False)
            if keys:
                pipeline.mget([self.make_and_validate_key(key, version=version) for key in keys])
            pipeline.incr(counter)
            pipeline.expire(counter, max(1, int(window_seconds)), nx=True)
            replies = pipeline.execute()
            values, count = (replies[0] if keys else []), replies[-2]
            loads = self._cache._serializer.loads
            found = {
                key: loads(value)
                for key, value in zip(keys, values, strict=True)
                if value is not None
            }
            return found, count

        return self._call("get_many_and_count", ({}, None), pipelined)

    def raise_many(self, values, version=None) -> None:
        """Set each integer of ``values`` (key -> value, kept with no expiry) unless its key
        already holds a greater one, in one round trip. Counters published by several
        processes never go back when an older value arrives last."""

        def scripted():
            client = self._cache.get_client(write=True)
            keys = [self.make_and_validate_key(key, version=version) for key in values]
            client.eval(_RAISE_SCRIPT, len(keys), *keys, *(int(value) for value in values.values()))

        self._call("raise_many", None, scripted)

    # --- answers kept with what they depend on (config.response_cache) -------------------

    def fresh_entry_and_count(
        self, key, counter_key, window_seconds, claim=None, claim_seconds=0.0, version=None
    ):
        """The answer stored at ``key`` if still fresh (see :data:`_FRESH_SCRIPT`), with a
        ``counter_key`` its increment (a rate-limit window), and with a ``claim`` key, when
        the answer is not fresh, whether this caller now holds that claim for
        ``claim_seconds`` (it computes the answer: store_entry releases it), all in one round
        trip. Returns ``(entry or None, count or None, claimed)``; ``(None, None, False)``
        while Redis is unreachable."""

        def pipelined():
            client = self._cache.get_client(write=True)
            pipeline = client.pipeline(transaction=False)
            keys = [self.make_and_validate_key(key, version=version)]
            if claim:
                keys.append(self.make_and_validate_key(claim, version=version))
            pipeline.eval(_FRESH_SCRIPT, len(keys), *keys, max(1, int(claim_seconds * 1000)))
            if counter_key:
                counter = self.make_and_validate_key(counter_key, version=version)
                pipeline.incr(counter)
                pipeline.expire(counter, max(1, int(window_seconds)), nx=True)
            replies = pipeline.execute()
            found = replies[0]
            entry = self._cache._serializer.loads(found) if isinstance(found, bytes) else None
            return entry, (replies[1] if counter_key else None), found == 1

        return self._call("fresh_entry_and_count", (None, None, False), pipelined)

    def store_entry(
        self,
        key,
        entry,
        *,
        generation: int,
        dependencies: list[str],
        timeout: float,
        seed: Callable[[], int],
        claim: str | None = None,
        version=None,
    ) -> bool:
        """Keep ``entry`` at ``key`` for ``timeout`` seconds, fresh while every key of
        ``dependencies`` holds at most ``generation``, and release ``claim`` (the key
        fresh_entry_and_count claimed), in one round trip (:data:`_STORE_SCRIPT`). A
        dependency key that does not exist (never published, or evicted) is first set to
        ``seed()`` (called only then: the directory's current generation), which may make the
        entry stale at once; then it is not stored (the claim is left to the caller). False
        when not stored."""

        def stored():
            client = self._cache.get_client(write=True)
            keys = [self.make_and_validate_key(name, version=version) for name in dependencies]
            target = self.make_and_validate_key(key, version=version)
            held = self.make_and_validate_key(claim, version=version) if claim else ""
            arguments = (
                int(generation),
                self._cache._serializer.dumps(entry),
                max(1, int(timeout)),
            )
            reply = client.eval(_STORE_SCRIPT, 2 + len(keys), target, held, *keys, *arguments)
            if reply == 1:
                return True
            value = int(seed())
            pipeline = client.pipeline(transaction=False)
            for position in reply:
                pipeline.set(keys[position - 1], value, nx=True)
            pipeline.execute()
            if value > generation:
                return False
            return client.eval(_STORE_SCRIPT, 2 + len(keys), target, held, *keys, *arguments) == 1

        return self._call("store_entry", False, stored)

    def count_in_window(self, counter_key, window_seconds, version=None):
        """Increment ``counter_key`` (created to expire after ``window_seconds``) and return
        its new value in one round trip (Django's ``add`` + ``incr`` take three: SET NX,
        EXISTS, INCRBY); ``None`` while Redis is unreachable."""
        return self.get_many_and_count([], counter_key, window_seconds, version)[1]

    # --- Django's cache API -------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # A missing key still raises ValueError, as Django's contract says; only an
        # unreachable Redis is softened, to "no such key".
        result = self._call("incr", None, super().incr, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._call("clear", False, super().clear)
