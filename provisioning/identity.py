"""Whether two MIS learner records are the same child: the judgement behind a learner's account
moving between schools by itself (rule 3 of ``policy.py``).

A UPN alone does not prove who a learner is: one mistyped (or misused) UPN would otherwise hand
a child's account, work and name to whoever another school's MIS says it is. So the record that
claims an account is compared with the account's own last MIS record:

- a date of birth known on both sides and different: not the same child;
- the same date of birth: the forename (or the preferred forename, on either side) must agree;
  the surname may differ, so a new preferred name, a corrected spelling, a double-barrelled or
  changed surname all go through. A surname alone is not enough: twins share their surname and
  date of birth, and a UPN typed into the wrong twin's record must not swap their accounts;
- a date of birth missing on either side: the forename (or preferred forename) and the surname
  must both agree, because the names are all the evidence there is.

Names agree after folding case and diacritics ("Siân" is "Sian"), when they share a word of
three letters or more ("Roberts-Jones" and "Jones"), or with a typo (one edit for names of five
letters or more, two from nine: "Siân" and "Siôn", "Elin" and "Elen" are different names).
Pure and cheap: called only for the accounts about to move.
"""

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz.distance import OSA

from core.text import ascii_fold

_APOSTROPHES = re.compile(r"['’`]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
# Words that say nothing about who someone is when two names share them.
_PARTICLES = frozenset(["ap", "ab", "ferch", "verch", "van", "von", "der", "den", "del", "de"])
SHARED_WORD_MIN = 3

# Why two records were judged as they were (the Hwb team reads these in the admin).
DATE_OF_BIRTH_DIFFERS = "date_of_birth_differs"
DATE_OF_BIRTH_SAME = "date_of_birth_same"
DATE_OF_BIRTH_UNKNOWN = "date_of_birth_unknown"
FORENAME_AGREES = "forename_agrees"
FORENAME_DIFFERS = "forename_differs"
SURNAME_AGREES = "surname_agrees"
SURNAME_DIFFERS = "surname_differs"


@dataclass(frozen=True)
class LearnerIdentity:
    """Who an MIS learner record says the learner is."""

    forename: str
    surname: str
    preferred_forename: str = ""
    date_of_birth: date | None = None


def learner_same_person(held: LearnerIdentity, incoming: LearnerIdentity) -> tuple[bool, list[str]]:
    """Whether ``incoming`` (the record claiming an account) is the learner of ``held`` (the
    account's last MIS record), and why: a list of the reason codes above."""
    if held.date_of_birth and incoming.date_of_birth:
        if held.date_of_birth != incoming.date_of_birth:
            return False, [DATE_OF_BIRTH_DIFFERS]
        birth = DATE_OF_BIRTH_SAME
    else:
        birth = DATE_OF_BIRTH_UNKNOWN
    forename = any(
        names_agree(one, other)
        for one in (held.forename, held.preferred_forename)
        for other in (incoming.forename, incoming.preferred_forename)
        if one and other
    )
    surname = names_agree(held.surname, incoming.surname)
    reasons = [
        birth,
        FORENAME_AGREES if forename else FORENAME_DIFFERS,
        SURNAME_AGREES if surname else SURNAME_DIFFERS,
    ]
    if birth == DATE_OF_BIRTH_SAME:
        return forename, reasons
    return forename and surname, reasons


@lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """'Siân O’Brien-Jones' -> ('sian', 'obrien', 'jones')."""
    folded = _APOSTROPHES.sub("", ascii_fold(name).lower())
    return tuple(word for word in _SEPARATORS.split(folded) if word)


def names_agree(one: str, other: str) -> bool:
    """The same name, folded; sharing a telling word; or the same but for a typo."""
    one_words, other_words = name_words(one), name_words(other)
    if not one_words or not other_words:
        return False
    one_whole, other_whole = "".join(one_words), "".join(other_words)
    if one_whole == other_whole:
        return True
    shared = set(one_words) & set(other_words)
    if any(len(word) >= SHARED_WORD_MIN and word not in _PARTICLES for word in shared):
        return True
    return OSA.distance(one_whole, other_whole) <= _typos_allowed(one_whole, other_whole)


def _typos_allowed(one: str, other: str) -> int:
    shorter = min(len(one), len(other))
    if shorter >= 9:
        return 2
    if shorter >= 5:
        return 1
    return 0
