"""Hwb usernames: legal surname + first initial, folded to ASCII, lower case, never reused."""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from .models import RetiredUsername, User

# Letters that Unicode decomposition does not fold to ASCII on its own.
_SPECIAL_FOLDS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
SURNAME_MAX = 20
FALLBACK = "user"


def ascii_fold(text: str) -> str:
    """'Siân ap Ŵyn-Jones' -> 'Sian ap Wyn-Jones'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_FOLDS))
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode()
    )


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
    """For each base, the clash numbers already used by an account or a retired username.

    The bare base counts as number 1. Two indexed look-ups, however many bases.
    """
    taken: dict[str, set[int]] = defaultdict(set)
    bases = set(bases)
    for model in (User, RetiredUsername):
        for chunk in _chunks(sorted(bases), 5000):
            for username, base in model.objects.filter(username_base__in=chunk).values_list(
                "username", "username_base"
            ):
                taken[base].add(_clash_number(username, base))
    return taken


def usernames_allocate(bases: list[str]) -> list[str]:
    """A free username for each base in the list, in order: the smallest free numbers first.

    Two people with the same base in one list get different numbers.
    """
    taken = usernames_taken(bases)
    chosen = []
    for base in bases:
        numbers = taken[base]
        candidate = 1
        while candidate in numbers:
            candidate += 1
        numbers.add(candidate)
        chosen.append(base if candidate == 1 else f"{base}{candidate}")
    return chosen


def username_next_free(base: str) -> str:
    """The base itself if free, else the base with the smallest free number from 2 up."""
    return usernames_allocate([base])[0]


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
