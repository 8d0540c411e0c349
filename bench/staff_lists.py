"""Realistic staff lists for measuring the matching: closing-school accounts, the new school's MIS
staff records, and the truth of who is who.

Used by tests/transfers/test_matching_quality.py and bench/matching.py. The same seed and size
always give the same lists. What makes matching hard in Welsh schools is all here:

- names with Welsh diacritics, written with and without them (Siân / Sian, Llŷr / Llyr);
- forenames the new MIS holds in another form: Welsh/English (Dafydd / David), short forms
  (Elizabeth / Beth), a middle name, or a form no table knows (Bethan for Elisabeth);
- surnames re-punctuated (ap Dafydd / Ap-Dafydd, McDonald / Mac Donald, O'Brien / OBrien),
  with a typo, double-barrelled and then not, or changed on marriage (same date of birth);
- a few common surnames (Jones, Williams, Davies...), so **shared names**: different people both
  called Siân Jones, with different dates of birth, or with the date missing;
- missing dates of birth on either side; work emails that stay the same only for people with a
  local-authority address;
- people who do not move (an account, no record) and new staff from elsewhere (a record, no
  account).
"""

import random
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from provisioning.matching import CLASH, DOUBTFUL, SURE, Person, Proposal

MOVE_SHARE = 0.88  # of the closing schools' staff, how many have a record at the new school
NEWCOMER_SHARE = 0.45  # new-school records of people from elsewhere, per closing-school account
DOB_MISSING_SHARE = 0.08  # per side, per person
NAMESAKE_SHARE = 0.08  # a person given the name of someone already in the lists
LA_EMAIL_SHARE = 0.30  # staff whose work email is the authority's, so it stays when they move

# (forename, weight); the weights make some names common, as they are.
FORENAMES = (
    ("Siân", 6), ("Sian", 2), ("Dafydd", 5), ("David", 5), ("Rhys", 4), ("Catrin", 4),
    ("Elin", 4), ("Gwen", 2), ("Gwenllïan", 1), ("Huw", 3), ("Gareth", 4), ("Rhodri", 2),
    ("Llŷr", 1), ("Siôn", 2), ("John", 4), ("Ioan", 2), ("Ieuan", 1), ("Gwilym", 2),
    ("William", 3), ("Llywelyn", 1), ("Catherine", 3), ("Elisabeth", 1), ("Elizabeth", 3),
    ("Marged", 1), ("Margaret", 2), ("Robert", 3), ("Richard", 3), ("Michael", 3), ("Thomas", 3),
    ("Tomos", 2), ("Jennifer", 2), ("Alexander", 1), ("Christopher", 2), ("Matthew", 3),
    ("Samuel", 1), ("Nicholas", 2), ("Daniel", 3), ("Owain", 2), ("Sioned", 2), ("Mair", 2),
    ("Mary", 2), ("Ffion", 3), ("Cerys", 3), ("Lowri", 3), ("Angharad", 2), ("Bethan", 3),
    ("Nia", 3), ("Rhiannon", 2), ("Heledd", 1), ("Eleri", 2), ("Aled", 2), ("Emyr", 1),
    ("Geraint", 2), ("Iolo", 1), ("Gethin", 2), ("Osian", 1), ("Mererid", 1), ("Anwen", 1),
    ("Sarah", 4), ("Emma", 4), ("Rachel", 3), ("Claire", 3), ("Helen", 3), ("Karen", 2),
    ("Laura", 3), ("Rebecca", 2), ("Hannah", 2), ("Charlotte", 2), ("Amy", 2), ("Lisa", 2),
    ("Mark", 3), ("Paul", 3), ("Andrew", 3), ("Stephen", 2), ("Peter", 2), ("James", 3),
    ("Jonathan", 2), ("Anthony", 1), ("Kevin", 1), ("Zoë", 1), ("Chloé", 1), ("Łukasz", 1),
    ("Priya", 1), ("Fatima", 1), ("Chidi", 1), ("Noémie", 1), ("Ioana", 1), ("Aisha", 1),
)  # fmt: skip
SURNAMES = (
    ("Jones", 60), ("Williams", 40), ("Davies", 35), ("Evans", 25), ("Thomas", 22),
    ("Roberts", 18), ("Hughes", 14), ("Lewis", 14), ("Morgan", 12), ("Griffiths", 11),
    ("Edwards", 10), ("Owen", 10), ("Price", 8), ("Rees", 8), ("Jenkins", 8), ("Lloyd", 7),
    ("Pritchard", 5), ("Parry", 6), ("Powell", 5), ("Vaughan", 4), ("Prŷs", 2), ("Ellis", 5),
    ("Rowlands", 4), ("Llywelyn", 3), ("Pugh", 4), ("Bowen", 4), ("Bevan", 4), ("Howells", 3),
    ("Probert", 2), ("Gwynne", 2), ("Meredith", 3), ("Morris", 6), ("Phillips", 6),
    ("Hopkins", 3), ("Watkins", 4), ("Wyn", 3), ("Ifans", 2), ("ap Dafydd", 2), ("ab Owen", 2),
    ("ap Rhys", 2), ("Smith", 8), ("Brown", 5), ("Taylor", 5), ("Wilson", 4), ("Walker", 3),
    ("Wright", 3), ("Green", 3), ("Hall", 3), ("Khan", 2), ("Ahmed", 2), ("Nowak", 1),
    ("Wiśniewski", 1), ("Müller", 1), ("García", 1), ("Nguyen", 1), ("Okafor", 1),
    ("MacDonald", 2), ("McCarthy", 2), ("O'Brien", 2), ("O'Neill", 2), ("D'Souza", 1),
    ("Patel", 2), ("Begum", 1), ("Jones-Davies", 2), ("Lloyd-Jones", 2), ("Prys-Roberts", 1),
    ("Wynne-Evans", 1), ("Rhys-Thomas", 1), ("Ap Gruffydd", 1),
)  # fmt: skip
# What the new MIS may hold for a forename: short forms, Welsh/English forms, and a few that a
# variant table may not know (the matcher must cope via date of birth).
FORENAME_FORMS = {
    "Siân": ("Sian", "Jane"), "Dafydd": ("David", "Dai", "Dewi"), "David": ("Dave", "Dafydd"),
    "Rhys": ("Rees", "Reece"), "Catrin": ("Catherine", "Kate", "Cat"),
    "Gwenllïan": ("Gwen", "Gwenllian"), "Huw": ("Hugh",), "Gareth": ("Gaz", "Gary"),
    "Rhodri": ("Roddy",), "Llŷr": ("Llyr",), "Siôn": ("John", "Sion"), "John": ("Jon", "Siôn"),
    "Ioan": ("John", "Ianto"), "Ieuan": ("Evan", "Ifan"), "Gwilym": ("William", "Will"),
    "William": ("Bill", "Will", "Gwilym"), "Llywelyn": ("Llewellyn", "Llew"),
    "Catherine": ("Kate", "Cath", "Catrin"), "Elisabeth": ("Beth", "Elizabeth", "Lisa"),
    "Elizabeth": ("Liz", "Beth", "Lisa"), "Marged": ("Margaret", "Meg"),
    "Margaret": ("Maggie", "Meg"), "Robert": ("Rob", "Bob"), "Richard": ("Rich", "Dic"),
    "Michael": ("Mike",), "Thomas": ("Tom", "Twm"), "Tomos": ("Tom", "Thomas"),
    "Jennifer": ("Jen", "Jenny"), "Alexander": ("Alex",), "Christopher": ("Chris",),
    "Matthew": ("Matt",), "Samuel": ("Sam",), "Nicholas": ("Nick",), "Daniel": ("Dan",),
    "Owain": ("Owen",), "Sioned": ("Janet",), "Mair": ("Mary",), "Mary": ("Mair",),
    "Rhiannon": ("Rhi",), "Angharad": ("Hari",), "Bethan": ("Beth",), "Andrew": ("Andy",),
    "Stephen": ("Steve",), "Jonathan": ("Jon", "Jonny"), "Anthony": ("Tony",),
    "Rebecca": ("Becky",), "Peter": ("Pete",), "James": ("Jim", "Jamie"), "Zoë": ("Zoe",),
    "Chloé": ("Chloe",), "Łukasz": ("Lukasz",), "Noémie": ("Noemie",),
}  # fmt: skip
MIDDLE_NAMES = ("Ann", "Wyn", "Haf", "Mai", "Jane", "Lloyd", "Elis", "Rhys", "Mair", "Glyn")
SCHOOL_DOMAINS = ("ysgolbro.cymru", "ysgolcwm.cymru", "ysgolglan.cymru")
NEW_SCHOOL_DOMAIN = "ysgolnewydd.cymru"
LA_DOMAIN = "sirgar.llyw.cymru"

# How a mover's name reaches the new MIS, with the share of movers each applies to.
VARIATIONS = (
    ("same", 0.42),
    ("diacritics_dropped", 0.08),
    ("forename_form", 0.14),
    ("surname_punctuation", 0.07),
    ("typo", 0.09),
    ("married_name", 0.05),
    ("double_barrel", 0.05),
    ("middle_name", 0.04),
    ("upper_case", 0.03),
    ("forename_and_typo", 0.03),
)


@dataclass(frozen=True)
class StaffLists:
    accounts: list[Person]
    records: list[Person]
    truth: dict[int, int]  # account key -> the key of its person's record, for those who move
    variations: dict[int, str]  # account key -> how its record's name differs (see VARIATIONS)


def _fold(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _typo(rng: random.Random, word: str) -> str:
    """One keying slip: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 4:
        return word + rng.choice("aeiouy")
    at = rng.randrange(1, len(word) - 1)  # not the first letter: people notice that one
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    if kind == 2:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]


def _repunctuate(rng: random.Random, surname: str) -> str:
    if surname.lower().startswith(("ap ", "ab ")):
        return rng.choice((surname.replace(" ", "-").title(), surname[3:], surname.title()))
    if surname.startswith("Mac"):
        return rng.choice(("Mc" + surname[3:], "Mac " + surname[3:]))
    if surname.startswith("Mc"):
        return rng.choice(("Mac" + surname[2:], "Mc " + surname[2:]))
    if "'" in surname:
        return rng.choice(
            (surname.replace("'", ""), surname.replace("'", "’"), surname.replace("'", " "))
        )
    if "-" in surname:
        return rng.choice((surname.replace("-", " "), surname.replace("-", "")))
    if " " in surname:
        return surname.replace(" ", "-")
    return surname.upper()


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights)[0]


def _variation(rng: random.Random) -> str:
    names, weights = zip(*VARIATIONS, strict=True)
    return rng.choices(names, weights)[0]


def _record_name(rng: random.Random, variation: str, forename: str, surname: str):
    """The name the new school's MIS holds for a mover, and the variation actually applied."""
    if variation == "diacritics_dropped" and _fold(forename + surname) != forename + surname:
        return _fold(forename), _fold(surname), variation
    if variation in ("forename_form", "forename_and_typo") and forename in FORENAME_FORMS:
        forename = rng.choice(FORENAME_FORMS[forename])
        if variation == "forename_and_typo":
            surname = _typo(rng, surname)
        return forename, surname, variation
    if variation == "surname_punctuation":
        return forename, _repunctuate(rng, surname), variation
    if variation == "typo":
        if rng.random() < 0.5:
            return _typo(rng, forename), surname, variation
        return forename, _typo(rng, surname), variation
    if variation == "married_name":
        others = tuple(pair for pair in SURNAMES if pair[0] != surname)
        return forename, _weighted(rng, others), variation
    if variation == "double_barrel":
        if "-" in surname:
            return forename, rng.choice(surname.split("-")), variation
        other = _weighted(rng, tuple(pair for pair in SURNAMES[:30] if pair[0] != surname))
        return forename, f"{surname}-{other}", variation
    if variation == "middle_name":
        return f"{forename} {rng.choice(MIDDLE_NAMES)}", surname, variation
    if variation == "upper_case":
        return forename.upper(), surname.upper(), variation
    return forename, surname, "same"


def staff_lists_generate(*, seed: int, size: int) -> StaffLists:
    """``size`` closing-school staff accounts, about 1.33 x size new-school records, and the
    truth. Deterministic per (seed, size)."""
    rng = random.Random(f"staff-lists:{seed}:{size}")  # noqa: S311 - test data, not a secret
    people: list[tuple[str, str, date]] = []
    used_emails: set[str] = set()

    def new_person() -> tuple[str, str, date]:
        if people and rng.random() < NAMESAKE_SHARE:
            forename, surname, _born = rng.choice(people)  # a namesake: another person
        else:
            forename, surname = _weighted(rng, FORENAMES), _weighted(rng, SURNAMES)
        born = date(1958, 1, 1) + timedelta(days=rng.randrange(365 * 42))
        people.append((forename, surname, born))
        return forename, surname, born

    def email(forename: str, surname: str, domain: str) -> str:
        local = "".join(
            c for c in _fold(f"{forename[0]}.{surname}").lower() if c.isalnum() or c == "."
        )
        address, number = f"{local}@{domain}", 1
        while address in used_emails:
            number += 1
            address = f"{local}{number}@{domain}"
        used_emails.add(address)
        return address

    def dob(born: date) -> date | None:
        return None if rng.random() < DOB_MISSING_SHARE else born

    accounts: list[Person] = []
    record_people: list[tuple[int | None, str, str, date | None, str]] = []
    variations: dict[int, str] = {}
    for key in range(1, size + 1):
        forename, surname, born = new_person()
        la_email = rng.random() < LA_EMAIL_SHARE
        old_email = email(forename, surname, LA_DOMAIN if la_email else rng.choice(SCHOOL_DOMAINS))
        accounts.append(Person(key, forename, surname, dob(born), old_email))
        if rng.random() >= MOVE_SHARE:
            continue
        new_forename, new_surname, applied = _record_name(rng, _variation(rng), forename, surname)
        variations[key] = applied
        if la_email and rng.random() < 0.9:
            new_email = old_email
        elif rng.random() < 0.2:
            new_email = ""
        else:
            new_email = email(new_forename, new_surname, NEW_SCHOOL_DOMAIN)
        record_people.append((key, new_forename, new_surname, dob(born), new_email))
    for _ in range(round(size * NEWCOMER_SHARE)):
        forename, surname, born = new_person()
        new_email = "" if rng.random() < 0.2 else email(forename, surname, NEW_SCHOOL_DOMAIN)
        record_people.append((None, forename, surname, dob(born), new_email))

    rng.shuffle(record_people)  # record keys must not give away whose they are
    records, truth = [], {}
    for record_key, (account_key, forename, surname, born, work_email) in enumerate(
        record_people, start=1
    ):
        records.append(Person(record_key, forename, surname, born, work_email))
        if account_key is not None:
            truth[account_key] = record_key
    return StaffLists(accounts, records, truth, variations)


def proposals_quality(proposals: list[Proposal], truth: dict[int, int]) -> dict[str, float]:
    """Precision and recall of proposals against the truth, of all proposals and of the sure
    ones alone. A proposal is an (account, record) pair of confidence sure, doubtful or clash;
    precision = correct proposals / proposals; recall = correct proposals / true pairs."""
    proposed = [p for p in proposals if p.confidence in (SURE, DOUBTFUL, CLASH)]
    sure = [p for p in proposed if p.confidence == SURE]
    correct = sum(truth.get(p.account_key) == p.record_key for p in proposed)
    sure_correct = sum(truth.get(p.account_key) == p.record_key for p in sure)
    true_pairs = len(truth) or 1
    return {
        "precision": correct / len(proposed) if proposed else 1.0,
        "recall": correct / true_pairs,
        "sure_precision": sure_correct / len(sure) if sure else 1.0,
        "sure_recall": sure_correct / true_pairs,
    }
