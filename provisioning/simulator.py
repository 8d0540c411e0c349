"""A simulated Wales for benchmarks and demos: its schools, their MIS rolls, and a September.

Everything comes from one seed and is generated school by school (generators, one school's people
in memory at a time), so the same seed always gives the same Wales, and a school chosen at scale
0.1 is the same school, with the same people, at scale 1. A cohort (the learners who started
reception in one year, at one school) is generated from its own seed, so any part of a school can
be made without the rest: that is how a secondary finds its year 7 among its feeder primaries.

This is a simulator, not a business service: it decides nothing about accounts. It only writes
School rows (``schools_create``) so that its snapshots have somewhere to go.

Dates: ``school_snapshot`` gives a school's roll as its MIS holds it on ``extracted_at``, in that
academic year. ``september_moves`` takes the roll of academic year Y-1 into year Y: year 6 leave
their primaries in July and start year 7 at a secondary of the same authority, year 11 and 13
leave, everyone else moves up a year group, reception and nursery start, a few staff leave and
start, and a few hundred learners move school over the summer.

It is long because it is one model of Wales (places, schools, cohorts, staff, a September) whose
parts share the seeds and the rules of one generator; it is development tooling, used by the
benchmarks, the tests and ``simulate_mis``, never by a request.
"""

import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from schools.identifiers import UPN_CHECK_LETTERS, WELSH_LOCAL_AUTHORITIES, upn_from_digits

if TYPE_CHECKING:  # the models need Django set up; the people here do not
    from schools.models import School

DEFAULT_SEED = 2026


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _rng(*parts) -> random.Random:
    """A generator of its own for one part of Wales, so that part can be made on its own."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - a simulation, not a secret


# Per local authority: primaries, secondaries, all-through and special schools (about Wales's own).
SCHOOL_COUNTS: dict[int, tuple[int, int, int, int]] = {
    660: (40, 5, 0, 1), 661: (85, 10, 4, 2), 662: (55, 7, 0, 1), 663: (45, 7, 1, 2),
    664: (64, 11, 0, 2), 665: (58, 8, 0, 2), 666: (76, 6, 5, 1), 667: (37, 3, 4, 0),
    668: (52, 5, 3, 1), 669: (96, 10, 3, 1), 670: (76, 14, 0, 2), 671: (50, 7, 2, 1),
    672: (48, 9, 0, 2), 673: (45, 8, 0, 1), 674: (96, 13, 5, 4), 675: (22, 3, 1, 2),
    676: (72, 11, 2, 1), 677: (18, 1, 2, 2), 678: (25, 5, 0, 1), 679: (30, 4, 0, 0),
    680: (46, 9, 0, 2), 681: (100, 19, 0, 7),
}  # fmt: skip
# Share of each authority's schools that teach through Welsh (the rest: 15%).
WELSH_MEDIUM_SHARE = {
    660: 0.8, 661: 0.95, 662: 0.3, 663: 0.3, 666: 0.3, 667: 0.7, 668: 0.25, 669: 0.6,
}  # fmt: skip
IN_YEAR_MOVE_RATE = 0.00065  # a few hundred learners across Wales move school over a summer
PHASES = ("primary", "secondary", "middle", "special")
ESTABLISHMENT_START = {"primary": 2001, "middle": 3001, "secondary": 4001, "special": 7001}
# Each school's place in a block of 400 numbers per authority (4 digits of some learners' UPNs).
INDEX_START = {"primary": 0, "middle": 200, "secondary": 250, "special": 350}
# Local authorities of England, whose UPNs learners new to Wales bring with them.
ENGLISH_LAS = (201, 202, 302, 330, 340, 373, 800, 801, 803, 873, 884, 885, 893, 919)

WELSH_FORENAMES = _words(
    "Siân Llŷr Gwenllïan Ffion Dafydd Rhys Ŵyn Elin Cerys Mared Nia Catrin Alaw Lowri Mali Seren "
    "Begw Heledd Anwen Gwenno Osian Iolo Gethin Cai Ioan Tomos Guto Morgan Aled Huw Emyr Gruffudd "
    "Rhodri Macsen Elis Dylan Owain Ieuan Efa Lleucu Gwawr Rhiannon Angharad Eleri Bethan Siôn "
    "Tirion Mererid Aneurin Emrys Gwion Llio Deio Sioned Geraint Mabli Nanw Haf Tanwen Elain Ffraid"
)
OTHER_FORENAMES = _words(
    "Oliver Amelia Noah Isla Jack Ava Harry Mia George Freya Leo Ivy Oscar Grace Charlie Evie "
    "Jacob Poppy Alfie Sophia Muhammad Aisha Zofia Jakub Chloé Zoë José Anaïs Noémie Łukasz "
    "Oliwia Mateusz Priya Arjun Fatima Yusuf Amara Chidi Maja Ionuț Sarah David Emma James"
)
WELSH_SURNAMES = _words(
    "Jones Williams Davies Evans Thomas Roberts Hughes Lewis Morgan Griffiths Edwards Owen Price "
    "Rees Jenkins Lloyd Pritchard Parry Powell Vaughan Prys Ellis Rowlands Llywelyn Pugh Bowen "
    "Bevan Howells Probert Pryce Gwynne Meredith Morris Phillips Hopkins Watkins Wyn Ifans"
)
OTHER_SURNAMES = _words(
    "Smith Brown Taylor Wilson Walker Wright Green Hall Khan Ahmed Nowak Kowalska Wiśniewski "
    "Müller García Nguyen Okafor MacDonald O'Brien O'Neill D'Souza Patel Begum Silva Popescu"
)
PATRONYMS = ("ap Rhys", "ab Owen", "ab Iorwerth", "ap Gruffydd", "ap Dafydd", "ab Ithel")
DIMINUTIVES = {
    "Dafydd": "Dai", "Tomos": "Twm", "Gwenllïan": "Gwen", "Gruffudd": "Guto", "Ioan": "Ianto",
    "Rhiannon": "Rhi", "Oliver": "Ollie", "Amelia": "Millie", "Jacob": "Jake", "Mateusz": "Mati",
    "Angharad": "Hari",
}  # fmt: skip
PLACE_STARTS = _words(
    "Llan Aber Pen Cwm Bryn Pont Tre Caer Nant Glan Rhos Maes Coed Ystrad Blaen Tal Dol Cefn Hen "
    "Bro"
)
PLACE_ENDS = _words(
    "-y-bont dewi fawr fach celyn teg wen ddu -y-môr derw gwyn afon isaf uchaf -y-coed hir garth "
    "ffynnon onnen tawe taf elli gwili ogwr nedd rhyd eithin"
)
TITLES = ("Mr", "Mrs", "Miss", "Ms", "Dr", "Mx")


@dataclass(frozen=True)
class SchoolSpec:
    """What the simulator knows of a school; its people are generated from this and the seed."""

    dfes_number: str
    la_code: int
    name_en: str
    name_cy: str
    phase: str
    index: int  # unique in Wales; the serial part of the UPNs of learners new to Wales
    cohort_size: int  # learners per year group, before each year's own variation
    nursery_years: int  # 0, 1 (N2) or 2 (N1 and N2): primaries and all-through schools
    sixth_form: bool
    welsh_medium: bool
    mis: str
    seed: int
    # For a primary: the secondaries its year 6 go on to, most of them to the first.
    secondaries: tuple[str, ...] = ()

    @property
    def grades(self) -> range:
        """The year groups it teaches, as numbers (N1 = -2, N2 = -1, R = 0)."""
        if self.phase == "primary":
            return range(-self.nursery_years, 7)
        if self.phase == "secondary":
            return range(7, 14 if self.sixth_form else 12)
        if self.phase == "middle":
            return range(-self.nursery_years, 14 if self.sixth_form else 12)
        return range(1, 15)

    @property
    def learners_estimate(self) -> int:
        full = sum(1 for grade in self.grades if grade < 12)
        return round(self.cohort_size * (full + 0.55 * (len(self.grades) - full)))

    @property
    def staff_estimate(self) -> int:
        return round(self.learners_estimate / (2.2 if self.phase == "special" else 8.5)) + 2


@dataclass(frozen=True)
class _Learner:
    upn: str
    forename: str
    surname: str
    preferred_forename: str | None
    date_of_birth: date
    admission_date: date
    leaves_on: date | None  # left during the base year (to somewhere outside the simulation)
    stays_for_sixth_form: bool
    destination: float  # which secondary (or none) a year 6 goes on to
    year_x: bool  # a special school's learner recorded in year group X
    form: int = 0  # which of the cohort's registration groups (A, B, …) they are in


FORM_LETTERS = "ABCDEFGH"


def _forms(spec: SchoolSpec) -> int:
    """How many registration groups a year group of the school has: about 30 to a group."""
    return max(1, min(len(FORM_LETTERS), -(-spec.cohort_size // 30)))


def academic_year(day: date) -> int:
    """The calendar year an academic year starts in (September)."""
    return day.year if day.month >= 9 else day.year - 1


def simulation_dates(today: date | None = None) -> tuple[datetime, datetime]:
    """The latest summer snapshot date whose September snapshot is already past, and that one."""
    today = today or date.today()
    year = today.year if today >= date(today.year, 9, 8) else today.year - 1
    return (
        datetime(year, 7, 1, 6, 30, tzinfo=UTC),
        datetime(year, 9, 7, 6, 30, tzinfo=UTC),
    )


def ascii_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed if c.isascii() and c.isalpha())


# --- Schools ------------------------------------------------------------------------------------


def wales_schools(scale: float = 1.0, seed: int = DEFAULT_SEED) -> Iterator[SchoolSpec]:
    """The schools of Wales (about 1,480 at scale 1), authority by authority.

    A smaller scale keeps fewer schools of each phase, spread across the authorities; an authority
    that keeps a primary always keeps a secondary, so its year 6 have somewhere to go.
    """
    kept = [0, 0, 0, 0]
    totals = [0, 0, 0, 0]
    for la_code in WELSH_LOCAL_AUTHORITIES:
        counts = []
        for phase_index, count in enumerate(SCHOOL_COUNTS[la_code]):
            totals[phase_index] += count
            wanted = round(totals[phase_index] * scale) - kept[phase_index]
            kept[phase_index] += wanted
            counts.append(wanted)
        if counts[0] and not counts[1]:
            counts[1] = 1
        yield from _authority_schools(la_code, counts, seed)


def _authority_schools(la_code: int, counts: list[int], seed: int) -> list[SchoolSpec]:
    # Names for every school the authority has at scale 1: a school keeps its name at any scale.
    full_counts = SCHOOL_COUNTS[la_code]
    places = _place_names(_rng(seed, "places", la_code), sum(full_counts))
    welsh_share = WELSH_MEDIUM_SHARE.get(la_code, 0.15)
    specs = {phase: [] for phase in PHASES}
    for phase_index, (phase, count) in enumerate(zip(PHASES, counts, strict=True)):
        for number in range(min(count, full_counts[phase_index])):
            school_rng = _rng(seed, "school", la_code, phase, number)
            place = places[sum(full_counts[:phase_index]) + number]
            welsh = school_rng.random() < welsh_share
            name_en, name_cy = _school_names(phase, place, welsh, school_rng)
            establishment = ESTABLISHMENT_START[phase] + number
            specs[phase].append(
                SchoolSpec(
                    dfes_number=f"{la_code}{establishment:04d}",
                    la_code=la_code,
                    name_en=name_en,
                    name_cy=name_cy,
                    phase=phase,
                    index=(la_code - 660) * 400 + INDEX_START[phase] + number,
                    cohort_size=_cohort_size_of(phase, school_rng),
                    nursery_years=school_rng.choice((0, 1, 1, 2)) if phase != "secondary" else 0,
                    sixth_form=phase in ("secondary", "middle") and school_rng.random() < 0.6,
                    welsh_medium=welsh,
                    mis="SIMS" if school_rng.random() < 0.7 else "Teacher Centre",
                    seed=seed,
                )
            )
    secondaries = specs["secondary"]
    for number, primary in enumerate(specs["primary"]):
        same_medium = [s for s in secondaries if s.welsh_medium == primary.welsh_medium]
        choices = same_medium or secondaries
        main = choices[number % len(choices)]
        others = tuple(s.dfes_number for s in secondaries if s is not main)
        specs["primary"][number] = _replace(primary, secondaries=(main.dfes_number, *others))
    return [spec for phase in PHASES for spec in specs[phase]]


def _replace(spec: SchoolSpec, **changes) -> SchoolSpec:
    return SchoolSpec(**{**spec.__dict__, **changes})


def _cohort_size_of(phase: str, rng: random.Random) -> int:
    if phase == "primary":
        kind = rng.random()
        if kind < 0.25:
            return rng.randint(7, 14)  # a small rural school
        return rng.randint(19, 29) if kind < 0.8 else rng.randint(36, 52)
    if phase == "secondary":
        return rng.randint(165, 240)
    if phase == "middle":
        return rng.randint(45, 110)
    return rng.randint(4, 9)


def _place_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        start, end = rng.choice(PLACE_STARTS), rng.choice(PLACE_ENDS)
        names.add(start + end if end.startswith("-") else start + end.lower())
    shuffled = sorted(names)  # a set's order changes from one process to the next
    rng.shuffle(shuffled)
    return shuffled


def _school_names(phase: str, place: str, welsh: bool, rng: random.Random) -> tuple[str, str]:
    if phase == "special":
        return (f"Ysgol {place}",) * 2
    if phase == "middle":
        return (f"Ysgol Bro {place}",) * 2
    if welsh:
        name = f"Ysgol Gymraeg {place}" if phase == "primary" else f"Ysgol Gyfun Gymraeg {place}"
        return name, name
    if phase == "primary":
        if rng.random() < 0.15:
            return (
                f"{place} Church in Wales Primary School",
                f"Ysgol Gynradd yr Eglwys yng Nghymru {place}",
            )
        return f"{place} Primary School", f"Ysgol Gynradd {place}"
    if rng.random() < 0.5:
        return f"{place} High School", f"Ysgol Uwchradd {place}"
    return f"{place} Comprehensive School", f"Ysgol Gyfun {place}"


def schools_create(specs: Iterable[SchoolSpec]) -> dict[str, "School"]:
    """School rows for the specs (those missing are created in bulk): DfES number -> School."""
    from schools.models import School

    specs = list(specs)
    School.objects.bulk_create(
        [
            School(
                dfes_number=spec.dfes_number,
                local_authority_id=spec.la_code,
                name_en=spec.name_en,
                name_cy=spec.name_cy,
                phase=spec.phase,
                interface_language="cy" if spec.welsh_medium else "en",
            )
            for spec in specs
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    numbers = [spec.dfes_number for spec in specs]
    return School.objects.in_bulk(numbers, field_name="dfes_number")


# --- Learners -----------------------------------------------------------------------------------


def _first_grade(spec: SchoolSpec) -> int:
    return spec.grades[0]


def _september(year: int, day: int = 2) -> date:
    return date(year, 9, day)


def _cohort(spec: SchoolSpec, entry_year: int, base_year: int) -> list[_Learner]:
    """The learners of ``spec`` who started reception in ``entry_year``, as of ``base_year``.

    Who they are never changes; when they joined and left is anchored to ``base_year``, the
    academic year of the summer snapshot, so its September shows the same people.
    """
    rng = _rng(spec.seed, spec.dfes_number, entry_year)
    size = max(1, round(spec.cohort_size * rng.uniform(0.85, 1.15)))
    started = entry_year + _first_grade(spec)
    existing = started <= base_year
    first_day = _september(started, rng.choice((2, 3, 4)))
    late_until = date(base_year, 12, 15)
    early_days = (date(base_year + 1, 6, 28) - late_until).days
    welsh_share = 0.75 if spec.welsh_medium else 0.35
    born_from = date(entry_year - 5, 9, 1)
    learners = []
    for serial in range(size):
        welsh_name = rng.random() < welsh_share
        forename = rng.choice(WELSH_FORENAMES if welsh_name else OTHER_FORENAMES)
        surname = _surname(rng, welsh_name)
        preferred = DIMINUTIVES.get(forename) if rng.random() < 0.3 else None
        born = born_from + timedelta(days=rng.randrange(365))
        admitted = first_day
        if existing and rng.random() < 0.08 and first_day < late_until:
            admitted = first_day + timedelta(days=rng.randrange((late_until - first_day).days))
        leaves_on = None
        if existing and rng.random() < 0.015:
            leaves_on = late_until + timedelta(days=1 + rng.randrange(early_days))
        origin = rng.random()
        if origin < 0.01:  # new to Wales, with the UPN their English school gave them
            digits = f"{rng.choice(ENGLISH_LAS)}{spec.index:04d}{started % 100:02d}{serial:03d}"
        elif origin < 0.013:  # still waiting for a real UPN
            letter = UPN_CHECK_LETTERS[serial % 23]
            digits = f"{spec.dfes_number}{started % 100:02d}{serial // 23:02d}{letter}"
        else:
            digits = f"{spec.dfes_number}{started % 100:02d}{serial:03d}"
        learners.append(
            _Learner(
                upn=upn_from_digits(digits),
                forename=forename,
                surname=surname,
                preferred_forename=preferred,
                date_of_birth=born,
                admission_date=admitted,
                leaves_on=leaves_on,
                stays_for_sixth_form=rng.random() < 0.55,
                destination=rng.random(),
                year_x=spec.phase == "special" and rng.random() < 0.1,
                form=serial % _forms(spec),
            )
        )
    return learners


def _cohort_size(spec: SchoolSpec, entry_year: int) -> int:
    """How many learners ``_cohort`` makes (its first draw), without making them."""
    rng = _rng(spec.seed, spec.dfes_number, entry_year)
    return max(1, round(spec.cohort_size * rng.uniform(0.85, 1.15)))


def _surname(rng: random.Random, welsh: bool) -> str:
    kind = rng.random()
    if kind < 0.01:
        return rng.choice(PATRONYMS)
    if kind < 0.06:
        return f"{rng.choice(WELSH_SURNAMES)}-{rng.choice(WELSH_SURNAMES + OTHER_SURNAMES)}"
    if welsh or kind < 0.6:
        return rng.choice(WELSH_SURNAMES)
    return rng.choice(OTHER_SURNAMES)


def _year_group(grade: int) -> str:
    return {-2: "N1", -1: "N2", 0: "R"}.get(grade, str(grade))


def _learner_record(
    learner: _Learner, grade: int, admission: date | None = None, leaving: date | None = None
) -> dict:
    year_group = "X" if learner.year_x else _year_group(grade)
    group = f"{year_group}{FORM_LETTERS[learner.form]}"
    return {
        "upn": learner.upn,
        "forename": learner.forename,
        "surname": learner.surname,
        "preferred_forename": learner.preferred_forename,
        "date_of_birth": learner.date_of_birth.isoformat(),
        "year_group": year_group,
        "admission_date": (admission or learner.admission_date).isoformat(),
        "leaving_date": leaving.isoformat() if leaving else None,
        # Contract 1.1: a registration group, and in secondary years two teaching groups.
        "registration_group": group,
        "classes": [f"{group}/Ma", f"{group}/Cy"] if grade >= 7 else [],
    }


def _on_roll(spec: SchoolSpec, grade: int, learner: _Learner) -> bool:
    return grade < 12 or (spec.sixth_form and learner.stays_for_sixth_form)


def _learners_then(spec: SchoolSpec, when: date) -> Iterator[dict]:
    """The school's learners as its MIS holds them on ``when`` (those who left this year too)."""
    year = academic_year(when)
    for grade in spec.grades:
        for learner in _cohort(spec, year - grade, year):
            if not _on_roll(spec, grade, learner) or learner.admission_date > when:
                continue
            left = learner.leaves_on if learner.leaves_on and learner.leaves_on <= when else None
            yield _learner_record(learner, grade, leaving=left)


# --- Staff --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StaffMember:
    record: dict
    leaves_in_july: bool


def _staff(spec: SchoolSpec, base_year: int, codes: set[str]) -> list[_StaffMember]:
    """The school's staff in ``base_year``: one current headteacher, earlier leavers included."""
    rng = _rng(spec.seed, spec.dfes_number, "staff")
    people = []
    current = spec.staff_estimate
    for number in range(current + round(current * 0.06) + 1 + rng.randint(1, 4)):
        if number == 0:
            role, head, left = "teaching", True, None
        elif number <= current:
            kind = rng.random()
            role = "ite_student" if kind < 0.02 else ("teaching" if kind < 0.47 else "support")
            head, left = False, None
        elif number <= current + round(current * 0.06) + 1:  # earlier leavers
            role, head = rng.choice(("teaching", "support")), number == current + 1
            left = date(base_year, 7, 20) - timedelta(days=365 * rng.randrange(4))
        else:
            role, head, left = "governor", False, None
        start = _start_date(rng, role, base_year, left)
        record = _staff_record(spec, rng, codes, role, head, start, left)
        july = (
            left is None and role != "governor" and (role == "ite_student" or rng.random() < 0.06)
        )
        people.append(_StaffMember(record, july))
    _form_tutors(spec, people)
    return people


def _form_tutors(spec: SchoolSpec, people: list[_StaffMember]) -> None:
    """Contract 1.1: current teachers (the headteacher aside) tutor the registration groups,
    one each, in order, while groups last."""
    groups = [
        f"{_year_group(grade)}{letter}"
        for grade in spec.grades
        for letter in FORM_LETTERS[: _forms(spec)]
    ]
    tutors = (
        member.record
        for member in people
        if member.record["role"] == "teaching"
        and not member.record["is_headteacher"]
        and member.record["leaving_date"] is None
    )
    for record, group in zip(tutors, groups, strict=False):
        record["registration_group"] = group


def _start_date(rng: random.Random, role: str, base_year: int, left: date | None) -> date:
    if role == "ite_student":
        return date(base_year, 9, 1)
    latest = left - timedelta(days=200) if left else date(base_year, 9, 1)
    return latest - timedelta(days=rng.randrange(365 * (4 if role == "governor" else 25)))


def _staff_record(spec, rng, codes, role, head, start, left) -> dict:
    forename = rng.choice(WELSH_FORENAMES if rng.random() < 0.5 else OTHER_FORENAMES)
    surname = _surname(rng, spec.welsh_medium)
    code = _staff_code(forename, surname, codes)
    age = rng.randint(21, 35) if role == "ite_student" else rng.randint(22, 64)
    email = None
    if role in ("teaching", "support") and rng.random() < 0.6:
        local = f"{ascii_letters(forename)}.{ascii_letters(surname)}".lower()
        email = f"{local}@{ascii_letters(spec.name_cy).lower()}.sch.example"
    return {
        "staff_code": code,
        "title": rng.choice(TITLES),
        "forename": forename,
        "surname": surname,
        "date_of_birth": (start - timedelta(days=365 * age + rng.randrange(365))).isoformat(),
        "work_email": email,
        "role": role,
        "is_headteacher": head,
        "start_date": start.isoformat(),
        "leaving_date": left.isoformat() if left else None,
        "registration_group": None,
    }


def _staff_code(forename: str, surname: str, codes: set[str]) -> str:
    """Initials, as SIMS makes them ("SJO"), numbered when taken; unique within the school."""
    stem = (ascii_letters(forename)[:1] + ascii_letters(surname)[:2]).upper() or "STF"
    code, number = stem, 1
    while code in codes:
        number += 1
        code = f"{stem}{number}"
    codes.add(code)
    return code


def _staff_then(spec: SchoolSpec, when: date) -> list[dict]:
    return [member.record for member in _staff(spec, academic_year(when), set())]


# --- Snapshots ----------------------------------------------------------------------------------


def _timestamp(extracted_at: datetime | str) -> datetime:
    if isinstance(extracted_at, str):
        extracted_at = datetime.fromisoformat(extracted_at)
    return extracted_at.astimezone(UTC)


def _envelope(spec: SchoolSpec, extracted_at: datetime, learners, staff) -> dict:
    return {
        "school": spec.dfes_number,
        "mis": spec.mis,
        "client_version": "4.2.0",
        "extracted_at": extracted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "learners": list(learners),
        "staff": list(staff),
    }


def school_snapshot(spec: SchoolSpec, extracted_at: datetime | str) -> dict:
    """The school's full snapshot (the contract's JSON shape) as its MIS holds it then."""
    extracted_at = _timestamp(extracted_at)
    when = extracted_at.date()
    return _envelope(spec, extracted_at, _learners_then(spec, when), _staff_then(spec, when))


def snapshot_records(snapshot: dict) -> int:
    return len(snapshot["learners"]) + len(snapshot["staff"])


# --- September ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SummerMove:
    """A learner who leaves one school over the summer (or late July) and joins another."""

    source: SchoolSpec
    entry_year: int
    serial: int  # which learner of the source's cohort
    destination: str
    grade: int  # their year group at the new school, in the new year
    leaving_date: date
    admission_date: date


def september_moves(
    specs: Iterable[SchoolSpec],
    *,
    extracted_at: datetime | str | None = None,
    stats: dict | None = None,
) -> Iterator[tuple[SchoolSpec, dict]]:
    """Every school's snapshot early in the new academic year: (spec, snapshot), school by school.

    ``extracted_at`` (by default the September of ``simulation_dates``) falls in the new year; the
    summer snapshots these follow are those of ``school_snapshot`` in the year before. Every school
    is affected (everyone moves up a year group), so this yields them all, authority by
    authority, primaries first, so that most year 7s find their primary already made them leavers.
    ``stats``, if given, counts ``year_7_transitions`` and ``summer_moves``.
    """
    specs = list(specs)  # descriptions only (no people): small even for all of Wales
    extracted_at = _timestamp(extracted_at or simulation_dates()[1])
    year = academic_year(extracted_at.date())
    stats = stats if stats is not None else {}
    stats.setdefault("year_7_transitions", 0)
    stats.setdefault("summer_moves", 0)
    moves_out, moves_in = _summer_moves(specs, year - 1)
    by_authority: dict[int, list[SchoolSpec]] = defaultdict(list)
    for spec in specs:
        by_authority[spec.la_code].append(spec)
    order = {"primary": 0, "middle": 1, "special": 2, "secondary": 3}
    for authority in by_authority.values():
        primaries = [spec for spec in authority if spec.phase == "primary"]
        intake = _year_7_intake(primaries, year, moves_out)
        stats["year_7_transitions"] += sum(map(len, intake.values()))
        for spec in sorted(authority, key=lambda spec: order[spec.phase]):
            learners = list(_learners_september(spec, year, moves_out.get(spec.dfes_number, {})))
            learners += intake.get(spec.dfes_number, [])
            arrivals = _arrivals(moves_in.get(spec.dfes_number, []), year)
            stats["summer_moves"] += len(arrivals)
            learners += arrivals
            yield spec, _envelope(spec, extracted_at, learners, _staff_september(spec, year))


def _summer_moves(
    specs: list[SchoolSpec], base_year: int
) -> tuple[dict[str, dict[tuple[int, int], _SummerMove]], dict[str, list[_SummerMove]]]:
    """Who moves school over the summer: by leaving school, and by joining school.

    Chosen from the schools' descriptions alone (which cohort, which learner of it), so no
    school's people are generated to plan them.
    """
    by_phase: dict[str, list[SchoolSpec]] = defaultdict(list)
    for spec in specs:
        by_phase[spec.phase].append(spec)
    moves_out: dict[str, dict[tuple[int, int], _SummerMove]] = defaultdict(dict)
    moves_in: dict[str, list[_SummerMove]] = defaultdict(list)
    year = base_year + 1
    for spec in by_phase["primary"] + by_phase["secondary"]:
        rng = _rng(spec.seed, "moves", spec.dfes_number, base_year)
        expected = spec.learners_estimate * IN_YEAR_MOVE_RATE
        peers = [other for other in by_phase[spec.phase] if other is not spec]
        neighbours = [other for other in peers if other.la_code == spec.la_code]
        for _ in range(int(expected) + (rng.random() < expected % 1)):
            grade = rng.randrange(0, 6) if spec.phase == "primary" else rng.randrange(7, 11)
            entry_year = base_year - grade
            serial = rng.randrange(_cohort_size(spec, entry_year))
            pool = neighbours if neighbours and rng.random() < 0.8 else peers
            if not pool or (entry_year, serial) in moves_out[spec.dfes_number]:
                continue
            if rng.random() < 0.5:  # moved before the end of the summer term
                leaving = date(year, 7, rng.randint(2, 15))
                admission = leaving + timedelta(days=rng.randint(1, 4))
            else:
                leaving, admission = date(year, 7, 20), _september(year, rng.choice((2, 3, 4)))
            move = _SummerMove(
                spec,
                entry_year,
                serial,
                rng.choice(pool).dfes_number,
                grade + 1,
                leaving,
                admission,
            )
            moves_out[spec.dfes_number][(entry_year, serial)] = move
            moves_in[move.destination].append(move)
    return moves_out, moves_in


def _learners_september(
    spec: SchoolSpec, year: int, moves_out: dict[tuple[int, int], _SummerMove]
) -> Iterator[dict]:
    """The school's own learners in the new year: moved up, left in July, or newly started."""
    base_year = year - 1
    july = date(year, 7, 20)
    for grade in spec.grades:
        entry_year = base_year - grade
        for serial, learner in enumerate(_cohort(spec, entry_year, base_year)):
            if not _on_roll(spec, grade, learner):
                continue
            move = moves_out.get((entry_year, serial))
            if learner.leaves_on:
                yield _learner_record(learner, grade, leaving=learner.leaves_on)
            elif move:
                yield _learner_record(learner, grade, leaving=move.leaving_date)
            elif grade + 1 not in spec.grades or not _on_roll(spec, grade + 1, learner):
                yield _learner_record(learner, grade, leaving=july)
            else:
                yield _learner_record(learner, grade + 1)
    if spec.phase != "secondary":  # a secondary's first year comes from its primaries
        first = spec.grades[0]
        for learner in _cohort(spec, year - first, base_year):
            yield _learner_record(learner, first)


def _year_7_intake(
    primaries: list[SchoolSpec],
    year: int,
    moves_out: dict[str, dict[tuple[int, int], _SummerMove]],
) -> dict[str, list[dict]]:
    """Each secondary's new year 7, from its authority's primaries' year 6: DfES -> records."""
    base_year = year - 1
    entry_year = base_year - 6
    intake: dict[str, list[dict]] = defaultdict(list)
    for primary in primaries:
        leaving = moves_out.get(primary.dfes_number, {})
        for serial, learner in enumerate(_cohort(primary, entry_year, base_year)):
            secondary = _secondary_of(primary, learner)
            if learner.leaves_on or (entry_year, serial) in leaving or secondary is None:
                continue
            day = _september(year, 2 + int(learner.destination * 1000) % 3)
            intake[secondary].append(_learner_record(learner, 7, admission=day))
    return intake


def _secondary_of(primary: SchoolSpec, learner: _Learner) -> str | None:
    """Most go to the primary's main secondary; a few to another; 2% leave for elsewhere."""
    choice, secondaries = learner.destination, primary.secondaries
    if choice < 0.02 or not secondaries:
        return None
    if choice < 0.87 or len(secondaries) == 1:
        return secondaries[0]
    return secondaries[1 + int((choice - 0.87) / 0.13 * (len(secondaries) - 1))]


def _arrivals(moves: list[_SummerMove], year: int) -> list[dict]:
    records = []
    for move in moves:
        learner = _cohort(move.source, move.entry_year, year - 1)[move.serial]
        if not learner.leaves_on:  # who left before the summer never arrives anywhere
            records.append(_learner_record(learner, move.grade, admission=move.admission_date))
    return records


def _staff_september(spec: SchoolSpec, year: int) -> list[dict]:
    """Last year's staff, a few of them (and every ITE student) leaving in July, and new starters.

    A headteacher who leaves is followed by a new one, so the school still has exactly one.
    """
    codes: set[str] = set()
    records, head_left, leavers = [], False, 0
    for member in _staff(spec, year - 1, codes):
        record = member.record
        if member.leaves_in_july:
            record = {**record, "leaving_date": date(year, 7, 20).isoformat()}
            head_left = head_left or record["is_headteacher"]
            leavers += 1
        records.append(record)
    rng = _rng(spec.seed, spec.dfes_number, "staff", year)
    for number in range(max(1, leavers + rng.randint(-1, 1))):
        head = head_left and number == 0
        kind = rng.random()
        role = "teaching" if head or kind < 0.45 else ("support" if kind < 0.9 else "ite_student")
        records.append(_staff_record(spec, rng, codes, role, head, date(year, 9, 1), None))
    return records


# --- A typical school's day ---------------------------------------------------------------------


def typical_school(
    *, dfes_number: str = "6794999", learners: int = 1000, seed: int = DEFAULT_SEED
) -> SchoolSpec:
    """A secondary of about ``learners`` learners (no sixth form), outside the simulated Wales."""
    return SchoolSpec(
        dfes_number=dfes_number,
        la_code=int(dfes_number[:3]),
        name_en="Typical High School",
        name_cy="Ysgol Uwchradd Nodweddiadol",
        phase="secondary",
        index=9999,
        cohort_size=learners // 5,
        nursery_years=0,
        sixth_form=False,
        welsh_medium=False,
        mis="SIMS",
        seed=seed,
    )


def daily_snapshots(
    spec: SchoolSpec, *, first_day: datetime | str, days: int, changes: int = 3
) -> Iterator[dict]:
    """The school's snapshot on ``first_day`` and each day after, with a few changes a day.

    The day's changes are, in turn: a learner admitted, a learner leaving, a learner's name
    changed. Each day keeps the changes of the days before, as an MIS does.
    """
    first_day = _timestamp(first_day)
    snapshot = school_snapshot(spec, first_day)
    yield snapshot
    rng = _rng(spec.seed, spec.dfes_number, "daily")
    next_year = academic_year(first_day.date()) + 1
    admitted = 0
    for day in range(1, days + 1):
        when = first_day + timedelta(days=day)
        learners = list(snapshot["learners"])
        for change in range(changes):
            kind = change % 3
            if kind == 0:  # serials of a year no cohort has started in yet: no UPN is reused
                admitted += 1
                upn = upn_from_digits(f"{spec.dfes_number}{next_year % 100:02d}{admitted:03d}")
                template = rng.choice(learners)
                learners.append(
                    {
                        **template,
                        "upn": upn,
                        "forename": rng.choice(WELSH_FORENAMES),
                        "admission_date": when.date().isoformat(),
                        "leaving_date": None,
                    }
                )
                continue
            on_roll = [i for i, record in enumerate(learners) if record["leaving_date"] is None]
            index = rng.choice(on_roll)
            if kind == 1:
                learners[index] = {**learners[index], "leaving_date": when.date().isoformat()}
            else:
                surname = f"{learners[index]['surname'].split('-')[0]}-{rng.choice(WELSH_SURNAMES)}"
                learners[index] = {**learners[index], "surname": surname}
        snapshot = {
            **snapshot,
            "extracted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "learners": learners,
        }
        yield snapshot
