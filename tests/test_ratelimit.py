"""Our own rate limit: so many tries a period, per person, then no more until it ends."""

from core.ratelimit import rate_limit_hit


def test_tries_beyond_the_limit_are_refused_until_the_period_ends():
    tries = [rate_limit_hit(scope="tests", key=1, limit=3, period_seconds=60) for _ in range(5)]
    assert tries == [True, True, True, False, False]


def test_each_person_has_their_own_count():
    for _ in range(3):
        rate_limit_hit(scope="tests", key=1, limit=3, period_seconds=60)
    assert not rate_limit_hit(scope="tests", key=1, limit=3, period_seconds=60)
    assert rate_limit_hit(scope="tests", key=2, limit=3, period_seconds=60)
