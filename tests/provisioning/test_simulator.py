"""The simulated Wales: valid, realistic, repeatable snapshots, and the simulate_mis command."""

import inspect
import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import AccountMove, SchoolRole, User
from provisioning.models import ProvisioningRun
from provisioning.simulator import (
    daily_snapshots,
    school_snapshot,
    september_moves,
    simulation_dates,
    typical_school,
    wales_schools,
)
from provisioning.snapshots import learners_check, snapshot_parse, staff_check
from schools.identifiers import WELSH_LOCAL_AUTHORITIES, is_temporary_upn, is_valid_upn
from schools.models import School

SUMMER = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
SEPTEMBER = datetime(2026, 9, 7, 6, 30, tzinfo=UTC)
LEARNER_FIELDS = {
    "upn",
    "forename",
    "surname",
    "preferred_forename",
    "date_of_birth",
    "year_group",
    "admission_date",
    "leaving_date",
    "registration_group",
    "classes",
}
STAFF_FIELDS = {
    "staff_code",
    "title",
    "forename",
    "surname",
    "date_of_birth",
    "work_email",
    "role",
    "is_headteacher",
    "start_date",
    "leaving_date",
    "registration_group",
}


@pytest.fixture(scope="module")
def some_of_wales():
    """About 45 schools across the authorities, their summer and their September snapshots."""
    specs = list(wales_schools(0.03))
    summer = [school_snapshot(spec, SUMMER) for spec in specs]
    september = [snapshot for _spec, snapshot in september_moves(specs, extracted_at=SEPTEMBER)]
    return specs, summer, september


def on_roll(snapshot: dict) -> dict[str, dict]:
    return {r["upn"]: r for r in snapshot["learners"] if r["leaving_date"] is None}


# The schools


def test_wales_has_about_1480_schools_in_its_22_authorities():
    specs = list(wales_schools())
    phases = Counter(spec.phase for spec in specs)

    assert 1450 <= len(specs) <= 1510
    assert {spec.la_code for spec in specs} == set(WELSH_LOCAL_AUTHORITIES)
    assert 1200 <= phases["primary"] <= 1300
    assert 150 <= phases["secondary"] <= 210
    assert phases["special"] and phases["middle"]
    assert len({spec.dfes_number for spec in specs}) == len(specs)
    assert all(spec.dfes_number.startswith(str(spec.la_code)) for spec in specs)
    assert 440_000 <= sum(spec.learners_estimate for spec in specs) <= 500_000
    assert 60_000 <= sum(spec.staff_estimate for spec in specs) <= 75_000


def test_primaries_have_about_200_learners_and_secondaries_1000_to_1500(some_of_wales):
    specs, summer, _september = some_of_wales
    sizes = defaultdict(list)
    for spec, snapshot in zip(specs, summer, strict=True):
        sizes[spec.phase].append(len(on_roll(snapshot)))

    assert 150 <= sum(sizes["primary"]) / len(sizes["primary"]) <= 250
    assert 900 <= sum(sizes["secondary"]) / len(sizes["secondary"]) <= 1500


def test_a_smaller_scale_keeps_a_secondary_in_each_authority_with_a_primary():
    for scale in (0.001, 0.01, 0.1):
        specs = list(wales_schools(scale))
        authorities = {spec.la_code for spec in specs if spec.phase == "primary"}
        assert authorities
        assert authorities <= {spec.la_code for spec in specs if spec.phase == "secondary"}


def test_a_school_at_a_smaller_scale_is_the_same_school_at_scale_1():
    everywhere = {spec.dfes_number: spec for spec in wales_schools(1)}
    for spec in wales_schools(0.05):
        same = everywhere[spec.dfes_number]
        assert (spec.name_en, spec.cohort_size, spec.phase) == (
            same.name_en,
            same.cohort_size,
            same.phase,
        )


def test_the_simulator_streams_school_by_school():
    assert inspect.isgenerator(wales_schools(0.01))
    assert inspect.isgenerator(september_moves(wales_schools(0.01), extracted_at=SEPTEMBER))
    assert inspect.isgenerator(daily_snapshots(typical_school(), first_day=SUMMER, days=2))


# The snapshots


def test_snapshots_have_the_contracts_shape_and_pass_the_portals_own_checks(some_of_wales):
    _specs, summer, september = some_of_wales
    for snapshot in summer + september:
        parsed = snapshot_parse(json.dumps(snapshot).encode())
        assert set(snapshot) == {
            "school",
            "mis",
            "client_version",
            "extracted_at",
            "learners",
            "staff",
        }
        assert all(set(record) == LEARNER_FIELDS for record in snapshot["learners"])
        assert all(set(record) == STAFF_FIELDS for record in snapshot["staff"])
        date.fromisoformat(snapshot["learners"][0]["date_of_birth"])
        learners = learners_check(parsed["learners"], today=date(2026, 11, 1))
        staff = staff_check(parsed["staff"])
        assert learners.errors == staff.errors == []
        assert {w["code"] for w in learners.warnings} <= {"temporary_upn"}


def test_every_upn_is_valid_and_belongs_to_one_learner_in_wales(some_of_wales):
    _specs, summer, _september = some_of_wales
    upns = [record["upn"] for snapshot in summer for record in snapshot["learners"]]

    assert all(is_valid_upn(upn) for upn in upns)
    assert len(set(upns)) == len(upns)
    temporary = [upn for upn in upns if is_temporary_upn(upn)]
    assert 0 < len(temporary) < len(upns) * 0.01
    assert any(not upn[1:4].startswith("6") for upn in upns), "some learners are new to Wales"


def test_each_school_has_one_current_headteacher_and_its_own_staff_codes(some_of_wales):
    _specs, summer, september = some_of_wales
    for snapshot in summer + september:
        staff = snapshot["staff"]
        heads = [r for r in staff if r["is_headteacher"] and r["leaving_date"] is None]
        codes = [r["staff_code"] for r in staff]
        assert len(heads) == 1
        assert heads[0]["role"] == "teaching"
        assert len(set(codes)) == len(codes)
        assert all(code.isascii() and code.isalnum() and len(code) <= 10 for code in codes)
    roles = Counter(r["role"] for snapshot in summer for r in snapshot["staff"])
    assert roles["teaching"] and roles["support"] and roles["governor"] and roles["ite_student"]


def test_names_are_welsh_and_english_with_their_diacritics(some_of_wales):
    _specs, summer, _september = some_of_wales
    learners = [r for snapshot in summer for r in snapshot["learners"]]
    forenames = {r["forename"] for r in learners}
    surnames = {r["surname"] for r in learners}

    assert {"Siân", "Llŷr", "Gwenllïan", "Ffion", "Dafydd", "Rhys", "Ŵyn"} <= forenames
    assert any(name.startswith(("ap ", "ab ")) for name in surnames)
    assert any("-" in name for name in surnames)
    assert any(r["preferred_forename"] for r in learners)


def test_the_same_seed_gives_the_same_wales_in_any_process():
    """Sets and hashes differ between processes; the simulated Wales must not."""
    script = (
        "import hashlib, json\n"
        "from provisioning.simulator import wales_schools, school_snapshot\n"
        "from datetime import datetime, UTC\n"
        "digest = hashlib.sha256()\n"
        "for spec in wales_schools(0.01, seed=SEED):\n"
        "    snapshot = school_snapshot(spec, datetime(2026, 7, 1, tzinfo=UTC))\n"
        "    digest.update(json.dumps(snapshot).encode())\n"
        "print(digest.hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]

    def digest(seed: int, hash_seed: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", script.replace("SEED", str(seed))],
            cwd=root,
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert digest(7, "1") == digest(7, "2")
    assert digest(7, "1") != digest(8, "1")


# September


def test_in_september_year_6_leave_in_july_and_start_year_7_in_the_same_authority(some_of_wales):
    specs, summer, september = some_of_wales
    spec_of = {spec.dfes_number: spec for spec in specs}
    year_6 = {}
    left_in_july = 0  # the rest left during the year
    for snapshot in september:
        if spec_of[snapshot["school"]].phase == "primary":
            for r in snapshot["learners"]:
                if r["year_group"] == "6" and r["leaving_date"]:
                    year_6[r["upn"]] = snapshot["school"]
                    left_in_july += r["leaving_date"].startswith("2026-07")
    year_7 = {}
    for snapshot in september:
        for upn, r in on_roll(snapshot).items():
            if upn in year_6:
                assert r["year_group"] == "7"
                assert r["admission_date"].startswith("2026-09-0")
                assert spec_of[snapshot["school"]].phase == "secondary"
                year_7[upn] = snapshot["school"]

    assert left_in_july > 0.95 * len(year_6)
    assert len(year_7) > 0.9 * len(year_6)
    assert all(school[:3] == year_6[upn][:3] for upn, school in year_7.items())


def test_in_september_everyone_else_moves_up_a_year_and_a_few_change_school(some_of_wales):
    _specs, summer, september = some_of_wales
    before = {upn: (s["school"], r) for s in summer for upn, r in on_roll(s).items()}
    on_roll_after = defaultdict(list)
    moved_up = changed_school = 0
    for snapshot in september:
        for upn, r in on_roll(snapshot).items():
            on_roll_after[upn].append(snapshot["school"])
            if upn not in before:
                continue
            school, old = before[upn]
            if old["year_group"] in ("1", "2", "8", "9") and school == snapshot["school"]:
                assert int(r["year_group"]) == int(old["year_group"]) + 1
                moved_up += 1
            elif school != snapshot["school"] and old["year_group"] != "6":
                changed_school += 1

    assert moved_up > 1000
    assert changed_school >= 1
    assert all(len(schools) == 1 for schools in on_roll_after.values()), "on roll at one school"


def test_a_typical_school_changes_a_little_each_day():
    days = list(daily_snapshots(typical_school(), first_day=SUMMER, days=3))
    first, last = days[0], days[-1]

    assert 900 <= len(first["learners"]) <= 1100
    assert len(last["learners"]) == len(first["learners"]) + 3
    assert last["extracted_at"] == "2026-07-04T06:30:00Z"
    left = [r for r in last["learners"] if r["leaving_date"] == "2026-07-04"]
    assert len(left) == 1


# The command


def simulate(*args: str) -> str:
    stdout = StringIO()
    call_command("simulate_mis", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


@pytest.mark.django_db
def test_simulate_mis_creates_the_schools_and_applies_their_snapshots():
    output = simulate("--scale", "0.001", "--apply")

    schools = School.objects.all()
    assert schools.count() == 2
    runs = ProvisioningRun.objects.all()
    assert runs.count() == 2
    assert all(run.status == "succeeded" for run in runs)
    summer, _september = simulation_dates()
    snapshots = [school_snapshot(spec, summer) for spec in wales_schools(0.001)]
    current_staff = [r for s in snapshots for r in s["staff"] if r["leaving_date"] is None]
    assert User.objects.filter(kind=User.Kind.LEARNER).count() == sum(
        len(on_roll(s)) for s in snapshots
    )
    assert User.objects.exclude(kind=User.Kind.LEARNER).count() == len(current_staff)
    assert SchoolRole.objects.filter(role=SchoolRole.Role.HEADTEACHER).count() == 2
    assert "Runs: succeeded 2." in output


@pytest.mark.django_db
def test_simulate_mis_september_moves_year_6_with_their_accounts():
    simulate("--scale", "0.001", "--apply")
    primary = School.objects.get(phase="primary")
    secondary = School.objects.get(phase="secondary")
    year_6_before = dict(
        User.objects.filter(school=primary, mis_learner_records__year_group="6").values_list(
            "pk", "username"
        )
    )

    output = simulate("--scale", "0.001", "--apply", "--september")

    moved = AccountMove.objects.filter(from_school=primary, to_school=secondary)
    assert moved.count() > 0.9 * len(year_6_before)
    for account in User.objects.filter(pk__in=year_6_before)[:5]:
        if account.school == secondary:
            assert account.username == year_6_before[account.pk]
            assert account.is_active
    assert "moved_in" in output


@pytest.mark.django_db
def test_simulate_mis_writes_one_file_per_school_and_applies_nothing(tmp_path):
    output = simulate("--scale", "0.001", "--out", str(tmp_path))

    files = sorted(tmp_path.glob("*.json"))
    assert [f.name[:7] for f in files] == sorted(
        School.objects.values_list("dfes_number", flat=True)
    )
    assert all(snapshot_parse(f.read_bytes())["learners"] for f in files)
    assert not ProvisioningRun.objects.exists()
    assert str(tmp_path) in output
