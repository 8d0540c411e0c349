"""Argon2id at OWASP's recommended cost: strong enough offline, cheap enough for a 9 o'clock rush.

OWASP's Password Storage Cheat Sheet asks for Argon2id with at least 19 MiB of memory, 2 passes
and 1 lane (or 46 MiB with 1 pass, and equivalent trades). Django's default (100 MiB, 2 passes,
8 lanes) costs about 195 ms of CPU per sign-in on a two-core web host: twenty people signing in
at once would wait four seconds. 19 MiB with 2 passes costs about 24 ms here, and 46 MiB with
1 pass about 60 ms (most of it allocating and touching the memory), so we take the first:
the same defence by OWASP's measure for less than half the time.

The algorithm's name stays "argon2", so every existing hash is still verified (its parameters
are in the hash) and Django's check_password rehashes it with these parameters at the holder's
next good sign-in, as it does whenever a hasher's parameters change.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP's first recommended configuration)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1


class OneTimePasswordHasher(Argon2PasswordHasher):
    """For the one-time passwords of a bulk reset only: Argon2id at 1 MiB and 1 pass, about a
    millisecond, so a school of 1,500 is reset in seconds, not half a minute.

    A one-time password is worth little offline: it is random, it must be changed at the
    holder's first sign-in, and at that sign-in Django rehashes it at full cost anyway (the
    algorithm name is the same, "argon2", so the preferred hasher verifies it and, its
    parameters being weaker, says it must be updated). It is never in PASSWORD_HASHERS: nothing
    else is ever hashed with it.
    """

    time_cost = 1
    memory_cost = 1024  # KiB
    parallelism = 1
