"""Hwb usernames: legal surname + first initial, folded to ASCII, lower case, never reused."""

import re
import unicodedata

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
    """The username before any clash number: 'Bloggs', 'Joe' -> 'bloggsj'."""
    surname = _NOT_ALNUM.sub("", ascii_fold(last_name).lower())[:SURNAME_MAX]
    initial = _NOT_ALNUM.sub("", ascii_fold(first_name).lower())[:1]
    return (surname + initial) or FALLBACK


def username_next_free(base: str) -> str:
    """The base itself if free, else the base with the smallest free number from 2 up."""
    # A prefix match uses the usernames' index (on PostgreSQL, its varchar_pattern_ops twin);
    # the exact shape, base + digits, is then checked here.
    shape = re.compile(rf"{re.escape(base)}([0-9]*)")
    taken = {
        name
        for model in (User, RetiredUsername)
        for name in model.objects.filter(username__startswith=base).values_list(
            "username", flat=True
        )
        if shape.fullmatch(name)
    }
    if base not in taken:
        return base
    numbers = {int(name[len(base) :]) for name in taken if name != base}
    candidate = 2
    while candidate in numbers:
        candidate += 1
    return f"{base}{candidate}"
