"""Proposing which new-school MIS staff record belongs to which closing-school staff account,
and judging whether one account and one record are the same person (Account Transfer).

Pure functions over plain values (no database): the merger services and the transfer rules feed
them, the tests and bench/matching.py measure them. Never a name-only "sure": a person always
confirms.

How a record is chosen for an account:

1. Names are normalised: Welsh and other diacritics folded (Siân -> sian, Ŵyn -> wyn), case,
   apostrophes dropped (O'Brien -> obrien), hyphens and spaces between surname parts ignored
   (Ap-Dafydd = ap Dafydd), Mc -> Mac, and a patronym may be dropped (ap Dafydd ~ Dafydd); either
   part of a double-barrelled surname may be used (Jones-Davies ~ Davies).
2. Forenames compare as equal, as known variants (Welsh and English forms and short forms:
   Dafydd/David/Dai/Dewi, Siân/Jane, Gwilym/William/Bill, ...), as a short form by prefix
   (Chris/Christopher), or by rapidfuzz similarity (typos); any forename word may be the one used.
3. Candidates are only the records whose names come close, or whose date of birth or work email
   is the account's: records are bucketed by surname and forename, and rapidfuzz compares the
   distinct names once each, so the work grows with the names that look alike, not with
   accounts x records.
4. Evidence: date of birth the same is strong evidence, different is strong evidence against
   (that record is not proposed; it may still be offered as an alternative), missing on either
   side is no evidence. The same non-empty work email is strong evidence; different emails are
   none (each school has its own domain).
5. Confidence of an account's best record:
   - SURE: the names match (both forename and surname, variants allowed) and the date of birth
     or the work email agrees, nothing contradicts it, and no other record comes close;
   - DOUBTFUL: names match with no other evidence (name only), or a weak name backed by the date
     of birth or the email (a married-name change, a preferred forename), or a near tie;
   - NONE: nothing reaches the floor;
   - CLASH: two or more accounts have the same record as their best sure or doubtful record;
     each of those rows is marked (a person must pick).
   A record that is exactly one account's sure match is not proposed to another account on
   weaker evidence (a namesake with no date of birth): that account gets its next best record,
   and the taken one is still offered last among its alternatives.

Cost: building the index compares each distinct surname and forename with the records' distinct
ones (rapidfuzz); then each account judges only its look-alike candidates. Measured with
bench/matching.py on 2 shared cores: 150 x 195 in about 0.01 s, 1,500 x 2,000 in about 0.1 s,
5,000 x 6,600 in about 0.8 s. The one slow shape is a list where nearly everyone has the same
name (every pair is a candidate): 300 identical names x 400 take about 0.5 s.

Scores are 0-100: the name similarity, raised by agreeing evidence and lowered by a differing
date of birth. Reason codes (``Proposal.reasons``, in this order when present; labels for
people in ``REASON_LABELS``):

    name_same        forename and surname are the same once normalised
    name_variant     the forename is a known variant or short form of the other (Dai/Dafydd)
    name_close       a name differs by a typo or so (rapidfuzz similarity)
    surname_part     one surname is part of the other (double-barrelled, or "ap" dropped)
    surname_differs  the surname does not match (a married name?)
    forename_differs the forename does not match (a preferred or middle name?)
    dob_same         dates of birth are the same
    dob_differs      dates of birth differ (on NONE: the closest name had a different date)
    dob_missing      a date of birth is missing on one side or both
    email_same       the same work email address
    name_only        only the name agrees: a person must check
    near_tie         another record scores almost as well (see alternatives)
    clash            another account's best record is this one too

It lives in provisioning because both the merger matching (school_changes) and Account
Transfer's same-person check use it. It is long because it is one algorithm with its design
note; split, the note and the code it explains would drift apart.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from .names import (
    MAX_NAME_LENGTH,
    VARIANTS,
    Surname,
    forename_normalise,
    forename_score,
    surname_normalise,
    surname_score,
)

SURE = "sure"
DOUBTFUL = "doubtful"
NONE = "none"
CLASH = "clash"

REASON_LABELS = {
    "name_same": _("name matches"),
    "name_variant": _("forename is a variant or short form"),
    "name_close": _("name is similar"),
    "surname_part": _("surname is part of the other"),
    "surname_differs": _("surname differs"),
    "forename_differs": _("forename differs"),
    "dob_same": _("date of birth matches"),
    "dob_differs": _("date of birth differs"),
    "dob_missing": _("date of birth missing"),
    "email_same": _("work email matches"),
    "name_only": _("only the name matches"),
    "near_tie": _("another record is almost as likely"),
    "clash": _("another account has the same best record"),
}

# The reasons that make a match doubtful: what the review page gives instead of a score.
DOUBT_REASONS = frozenset(
    {
        "name_only",
        "near_tie",
        "clash",
        "dob_missing",
        "dob_differs",
        "surname_differs",
        "forename_differs",
        "name_close",
        "name_variant",
        "surname_part",
    }
)

# Thresholds (0-100). A forename or surname "matches" at NAME_PART_MATCH, a whole name at
# NAME_MATCH; candidates are looked for a little below, so typos still find their record.
NAME_PART_MATCH = 80
NAME_MATCH = 85
SURNAME_CANDIDATE = 75
FORENAME_CANDIDATE = 70
FLOOR = 60  # below this combined score nothing is proposed
NEAR_TIE = 5  # a second record within this many points makes the best one doubtful
ALTERNATIVES = 3
ALTERNATIVE_FLOOR = 50

DOB_SAME_BONUS = 15
EMAIL_SAME_BONUS = 20
DOB_DIFFERS_PENALTY = 40


@dataclass(frozen=True)
class Person:
    """One side of a match: a closing-school account (with its old MIS record's details) or a
    new-school MIS staff record."""

    key: int
    forename: str
    surname: str
    date_of_birth: date | None = None
    work_email: str = ""


def account_person(account, record=None) -> Person:
    """An account as the matcher sees it: its school's MIS staff record (names, date of birth,
    work email) when it has one, else the account's own names. Reads attributes only."""
    return Person(
        key=account.pk,
        forename=record.forename if record else account.first_name,
        surname=record.surname if record else account.last_name,
        date_of_birth=record.date_of_birth if record else None,
        work_email=(record.work_email if record else "") or "",
    )


def record_person(record) -> Person:
    """An MIS staff record as the matcher sees it. Reads attributes only."""
    return Person(
        key=record.pk,
        forename=record.forename,
        surname=record.surname,
        date_of_birth=record.date_of_birth,
        work_email=record.work_email or "",
    )


@dataclass
class Proposal:
    account_key: int
    record_key: int | None
    score: int  # 0-100
    confidence: str  # SURE, DOUBTFUL, NONE or CLASH
    reasons: list[str] = field(default_factory=list)
    # Next-best records worth offering the reviewer: (record key, score), best first.
    alternatives: list[tuple[int, int]] = field(default_factory=list)


# --- Evidence and classification ----------------------------------------------------------------


@dataclass
class _Candidate:
    record: Person
    score: int
    confidence: str  # SURE or DOUBTFUL, or NONE when it may only be offered as an alternative
    reasons: list[str]

    @property
    def strength(self) -> int:
        """How much the evidence says, before the score: sure; doubtful backed by a date of
        birth or email (a married name); doubtful on the name only; not proposable."""
        if self.confidence == SURE:
            return 3
        if self.confidence == DOUBTFUL:
            return 2 if "dob_same" in self.reasons or "email_same" in self.reasons else 1
        return 0

    @property
    def order(self) -> tuple[int, int, int]:
        # The record key breaks ties so the same input always gives the same proposal.
        return (-self.strength, -self.score, self.record.key)


def _email(value: str) -> str:
    return value.strip().lower()[:MAX_NAME_LENGTH]


@dataclass(frozen=True)
class Judgement:
    """How sure one account's holder and one MIS record are the same person, and why."""

    confidence: str  # SURE, DOUBTFUL or NONE (one pair alone is never a near tie or a clash)
    score: int  # 0-100
    reasons: tuple[str, ...]


def person_judge(account: Person, record: Person) -> Judgement:
    """One account against one record, by the rules above (names with their variants, date of
    birth, work email). The merger proposals judge every candidate with it; Account Transfer
    judges the requester's new-school record against the previous account with it."""
    forename, forename_why = forename_score(
        forename_normalise(account.forename), forename_normalise(record.forename)
    )
    surname, surname_why = surname_score(
        surname_normalise(account.surname), surname_normalise(record.surname)
    )
    name = round(0.45 * forename + 0.55 * surname)
    forename_ok = forename >= NAME_PART_MATCH
    surname_ok = surname >= NAME_PART_MATCH
    names_match = forename_ok and surname_ok and name >= NAME_MATCH

    reasons: list[str] = []
    if forename == 100 and surname == 100:
        reasons.append("name_same")
    else:
        if forename_ok and forename_why in ("name_variant", "name_close") and forename < 100:
            reasons.append(forename_why)
        if surname_ok and surname_why == "name_close" and "name_close" not in reasons:
            reasons.append("name_close")
        if surname_ok and surname_why == "surname_part":
            reasons.append("surname_part")
        if not surname_ok:
            reasons.append("surname_differs")
        if not forename_ok:
            reasons.append("forename_differs")

    dob_same = dob_differs = False
    if account.date_of_birth is None or record.date_of_birth is None:
        reasons.append("dob_missing")
    elif account.date_of_birth == record.date_of_birth:
        dob_same = True
        reasons.append("dob_same")
    else:
        dob_differs = True
        reasons.append("dob_differs")
    email_same = bool(_email(account.work_email)) and (
        _email(account.work_email) == _email(record.work_email)
    )
    if email_same:
        reasons.append("email_same")

    score = name
    score += DOB_SAME_BONUS * dob_same + EMAIL_SAME_BONUS * email_same
    score -= DOB_DIFFERS_PENALTY * dob_differs
    score = max(0, min(100, score))

    if names_match and (dob_same or email_same) and not dob_differs:
        confidence = SURE
    elif names_match and not dob_differs:
        confidence = DOUBTFUL
        if not email_same:
            reasons.append("name_only")
    elif email_same or (dob_same and (forename_ok or surname_ok)):
        confidence = DOUBTFUL  # a married name, a preferred forename: a person must look
        score = max(score, FLOOR)
    else:
        confidence = NONE
    if score < FLOOR:
        confidence = NONE
    return Judgement(confidence, score, tuple(reasons))


def _candidate_judge(account: Person, record: Person) -> _Candidate:
    judgement = person_judge(account, record)
    return _Candidate(record, judgement.score, judgement.confidence, list(judgement.reasons))


# --- Finding candidates without comparing everyone with everyone --------------------------------


class _RecordIndex:
    """The new school's records by normalised surname and forename word, by date of birth and
    by email, with the distinct names compared once each (rapidfuzz, in C++)."""

    def __init__(self, records: list[Person]):
        self.by_name: dict[str, dict[str, list[Person]]] = defaultdict(lambda: defaultdict(list))
        self.by_dob: dict[date, list[Person]] = defaultdict(list)
        self.by_email: dict[str, list[Person]] = defaultdict(list)
        surname_forms: dict[str, set[str]] = defaultdict(set)  # a form -> surnames (full) with it
        for record in records:
            surname = surname_normalise(record.surname)
            for word in forename_normalise(record.forename):
                self.by_name[surname.full][word].append(record)
            for form in (surname.full, *surname.parts):
                surname_forms[form].add(surname.full)
            if record.date_of_birth:
                self.by_dob[record.date_of_birth].append(record)
            if _email(record.work_email):
                self.by_email[_email(record.work_email)].append(record)
        self._surname_forms = surname_forms
        self._surname_form_list = list(surname_forms)
        self._forename_words = list({w for by_word in self.by_name.values() for w in by_word})
        self._forename_words_by_variant: dict[int, list[str]] = defaultdict(list)
        for word in self._forename_words:
            for group in VARIANTS.get(word, ()):
                self._forename_words_by_variant[group].append(word)
        self._similar_surnames_cache: dict[Surname, set[str]] = {}
        self._similar_forenames_cache: dict[str, set[str]] = {}

    def _similar_surnames(self, surname: Surname) -> set[str]:
        if surname not in self._similar_surnames_cache:
            found: set[str] = set()
            for form in (surname.full, *surname.parts):
                for _choice, _score, index in process.extract(
                    form,
                    self._surname_form_list,
                    scorer=fuzz.ratio,
                    score_cutoff=SURNAME_CANDIDATE,
                    limit=None,
                ):
                    found |= self._surname_forms[self._surname_form_list[index]]
            self._similar_surnames_cache[surname] = found
        return self._similar_surnames_cache[surname]

    def _similar_forenames(self, word: str) -> set[str]:
        if word not in self._similar_forenames_cache:
            found = {
                self._forename_words[index]
                for _choice, _score, index in process.extract(
                    word,
                    self._forename_words,
                    scorer=fuzz.ratio,
                    score_cutoff=FORENAME_CANDIDATE,
                    limit=None,
                )
            }
            for group in VARIANTS.get(word, ()):
                found.update(self._forename_words_by_variant[group])
            if len(word) >= 3:
                found.update(
                    other
                    for other in self._forename_words
                    if len(other) >= 3 and (other.startswith(word) or word.startswith(other))
                )
            self._similar_forenames_cache[word] = found
        return self._similar_forenames_cache[word]

    def candidates(self, account: Person) -> list[Person]:
        found: dict[int, Person] = {}
        words = forename_normalise(account.forename)
        similar_words = set().union(*(self._similar_forenames(word) for word in words))
        for surname_full in self._similar_surnames(surname_normalise(account.surname)):
            by_word = self.by_name[surname_full]
            for word in similar_words & by_word.keys():
                for record in by_word[word]:
                    found[id(record)] = record
        if account.date_of_birth:
            for record in self.by_dob.get(account.date_of_birth, ()):
                found[id(record)] = record
        if _email(account.work_email):
            for record in self.by_email.get(_email(account.work_email), ()):
                found[id(record)] = record
        return list(found.values())


def _proposal_for(account: Person, judged: list[_Candidate], taken: dict[int, int]) -> Proposal:
    """The best of an account's judged candidates (sorted best first) that another account has
    not surely taken (``taken``: record key -> the account key whose sure match it is), how
    sure, why, and the next best."""

    def taken_by_another(candidate: _Candidate) -> bool:
        return taken.get(candidate.record.key, account.key) != account.key

    proposable = [c for c in judged if c.confidence != NONE and not taken_by_another(c)]
    if not proposable:
        closest = [
            c
            for c in judged
            if c.score >= ALTERNATIVE_FLOOR or "dob_differs" in c.reasons or taken_by_another(c)
        ]
        closest.sort(key=lambda c: (taken_by_another(c), -c.score, c.record.key))
        reasons = ["dob_differs"] if closest and "dob_differs" in closest[0].reasons else []
        return Proposal(
            account.key,
            None,
            closest[0].score if closest else 0,
            NONE,
            reasons,
            [(c.record.key, c.score) for c in closest[:ALTERNATIVES] if c.score > 0],
        )
    best = proposable[0]
    confidence, reasons = best.confidence, list(best.reasons)
    runner_up = proposable[1] if len(proposable) > 1 else None
    if (
        runner_up
        and runner_up.strength == best.strength
        and runner_up.score >= best.score - NEAR_TIE
    ):
        confidence = DOUBTFUL
        reasons.append("near_tie")
    # Offered too: a close name whose date of birth differs (a typing slip in a date?) and a
    # record another account surely has (the reviewer may know better), after the likely ones.
    others = [
        c
        for c in judged
        if c is not best and (c.confidence != NONE or c.score >= ALTERNATIVE_FLOOR)
    ]
    others.sort(key=lambda c: (taken_by_another(c), *c.order))
    return Proposal(
        account.key,
        best.record.key,
        best.score,
        confidence,
        reasons,
        [(c.record.key, c.score) for c in others[:ALTERNATIVES]],
    )


def matches_propose(accounts: list[Person], records: list[Person]) -> list[Proposal]:
    """One proposal per account (in the order given): its best record, how sure, why, and the
    next-best records.

    A record that is one account's only sure match is not proposed for another account on
    weaker evidence (that account gets its next best); when two accounts still have the same
    best record (both sure, or both on weaker evidence), both are marked CLASH for a person to
    settle. Records should have distinct keys; accounts too.
    """
    index = _RecordIndex(records)
    judged = {}
    for account in accounts:
        candidates = [_candidate_judge(account, record) for record in index.candidates(account)]
        judged[account.key] = sorted(candidates, key=lambda c: c.order)
    taken: dict[int, int] = {}
    # Settling sure claims can move other accounts onto records that become someone's sure
    # match in turn; a few rounds settle it (each round only adds to `taken`, so it ends).
    for _round in range(len(accounts) + 1):
        proposals = [_proposal_for(a, judged[a.key], taken) for a in accounts]
        sure_claims: dict[int, list[int]] = defaultdict(list)
        for proposal in proposals:
            if proposal.confidence == SURE:
                sure_claims[proposal.record_key].append(proposal.account_key)
        newly_taken = {
            record_key: claimants[0]
            for record_key, claimants in sure_claims.items()
            if len(claimants) == 1 and record_key not in taken
        }
        if not newly_taken:
            break
        taken.update(newly_taken)
    claimed: dict[int, list[Proposal]] = defaultdict(list)
    for proposal in proposals:
        if proposal.confidence in (SURE, DOUBTFUL):
            claimed[proposal.record_key].append(proposal)
    for clashing in claimed.values():
        if len(clashing) > 1:
            for proposal in clashing:
                proposal.confidence = CLASH
                proposal.reasons.append("clash")
    return proposals
