"""Hwb usernames: legal surname + first initial, folded to ASCII, lower case, never reused."""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from core.text import ascii_fold

from .models import RetiredUsername, User, UsernameCounter

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
SURNAME_MAX = 20
FALLBACK = "user"


def username_base(*, first_name: str, last_name: str) -> str:
    """The username before any clash number: 'Bloggs', 'Joe' -> 'bloggsj'.

    A base never ends in a digit, so any trailing digits of a username are its clash number.
    """
    surname = _NOT_ALNUM.sub("", ascii_fold(last_name).lower())[:SURNAME_MAX]
    initial = _NOT_ALNUM.sub("", ascii_fold(first_name).lower())[:1]
    return (surname + initial).rstrip("0123456789") or FALLBACK


def base_of(username: str) -> str:
    """'jonesa12' -> 'jonesa'."""
    return username.rstrip("0123456789") or FALLBACK


def _clash_number(username: str, base: str) -> int:
    return int(username[len(base) :] or 1)


def usernames_taken(bases: Iterable[str]) -> dict[str, set[int]]:
    """For each base, the clash numbers used by an account or a retired username (the bare
    base counts as 1). Reads every username of those bases: the slow, sure way."""
    taken: dict[str, set[int]] = defaultdict(set)
    bases = set(bases)
    for model in (User, RetiredUsername):
        for chunk in _chunks(sorted(bases), 5000):
            for username, base in model.objects.filter(username_base__in=chunk).values_list(
                "username", "username_base"
            ):
                taken[base].add(_clash_number(username, base))
    return taken


def _counters_advance(wanted: Counter) -> dict[str, int]:
    """Raise each base's counter by the numbers wanted; return each base's new highest.

    One statement per 500 bases; the row of each base is locked until the caller's transaction
    ends, so two runs choosing at once get different numbers.
    """
    table = UsernameCounter._meta.db_table
    highest: dict[str, int] = {}
    items = sorted(wanted.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"""
                INSERT INTO {table} (username_base, last_number) VALUES {values}
                ON CONFLICT (username_base)
                DO UPDATE SET last_number = {table}.last_number + excluded.last_number
                RETURNING username_base, last_number
                """,  # noqa: S608
                [value for pair in chunk for value in pair],
            )
            highest.update(cursor.fetchall())
    return highest


def usernames_allocate(bases: list[str]) -> list[str]:
    """A free username for each base in the list, in order (two people with one base get
    different numbers). Call inside a transaction.

    The counters give the numbers; a username that somehow exists already (made outside this
    function) is caught, and that base's counter is set from the usernames themselves.
    """
    wanted = Counter(bases)
    with transaction.atomic():
        highest = _counters_advance(wanted)
        chosen = _numbered(bases, wanted, highest)
        clashes = _existing(chosen)
        if clashes:
            repaired = {base_of(name) for name in clashes}
            taken = usernames_taken(repaired)
            UsernameCounter.objects.filter(username_base__in=repaired).delete()
            reset = Counter({base: max(taken[base], default=0) for base in repaired})
            _counters_advance(reset + Counter({b: n for b, n in wanted.items() if b in repaired}))
            highest.update({b: max(taken[b], default=0) + wanted[b] for b in repaired})
            chosen = _numbered(bases, wanted, highest)
    return chosen


def _numbered(bases: list[str], wanted: Counter, highest: dict[str, int]) -> list[str]:
    given: dict[str, int] = {base: highest[base] - count for base, count in wanted.items()}
    chosen = []
    for base in bases:
        given[base] += 1
        number = given[base]
        chosen.append(base if number == 1 else f"{base}{number}")
    return chosen


def _existing(usernames: list[str]) -> set[str]:
    """Which of these usernames an account or a retired username already has (two look-ups)."""
    if not usernames:
        return set()
    found: set[str] = set()
    with connection.cursor() as cursor:
        for model in (User, RetiredUsername):
            for chunk in _chunks(sorted(set(usernames)), 5000):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT username FROM {model._meta.db_table} WHERE username IN ({marks})",  # noqa: S608
                    chunk,
                )
                found.update(row[0] for row in cursor.fetchall())
    return found


def username_next_free(base: str) -> str:
    """The base itself if never given, else the base with the next number from 2 up."""
    return usernames_allocate([base])[0]


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
