"""The cache: Redis, or this process's memory while Redis cannot be reached.

The portal keeps nothing in the cache that it cannot lose: only rate-limit counters (the DfES
look-up throttle, Account Transfer's look-ups an hour). A Redis outage must not turn the pages
that count into errors, and must not switch the limits off either (that would let anyone list
usernames for as long as Redis is down). So while Redis is unreachable each process counts in
its own memory: the limits still hold, per process instead of for the whole portal, and the
log says so. Redis is tried again every ``RETRY_SECONDS``.
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# When each Redis server (by its URL) may be tried again; shared by the process's threads.
_down_until: dict[str, float] = {}


class RedisCacheWithFallback(RedisCache):
    """Django's Redis cache; while Redis is unreachable, a local-memory cache stands in."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._server_key = str(server)
        # One stand-in per process (a local-memory cache's name picks its storage), so every
        # thread of the process counts in the same place.
        self._fallback = LocMemCache(f"hwb-redis-fallback:{server}", params)

    def _call(self, name: str, *args, **kwargs):
        if time.monotonic() >= _down_until.get(self._server_key, 0.0):
            try:
                return getattr(super(), name)(*args, **kwargs)
            except _UNREACHABLE as error:
                _down_until[self._server_key] = time.monotonic() + RETRY_SECONDS
                logger.warning(
                    "Redis cannot be reached (%s: %s): this process counts rate limits in its "
                    "own memory for %d s, then tries Redis again.",
                    type(error).__name__,
                    error,
                    RETRY_SECONDS,
                )
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self, *args, **kwargs):
        return self._call("clear", *args, **kwargs)
