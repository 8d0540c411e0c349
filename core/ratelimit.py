"""One fixed-window rate limit for our own counters (the API's throttles are DRF's, sign-in
failures django-axes'): how many times someone may do a thing in a period."""

from django.core.cache import cache


def rate_limit_hit(*, scope: str, key: object, limit: int, period_seconds: int) -> bool:
    """Count one more try of ``scope`` by ``key``; False once more than ``limit`` tries fell in
    the current period (which starts at the first try and lasts ``period_seconds``)."""
    cache_key = f"hwb:ratelimit:{scope}:{key}"
    cache.add(cache_key, 0, timeout=period_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the period ended between add and incr
        cache.set(cache_key, 1, timeout=period_seconds)
        count = 1
    return count <= limit
