"""import_snapshot: a school's snapshot file applied from the command line, for a school whose
client cannot reach the API."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from provisioning.models import MisLearner, ProvisioningRun
from provisioning.simulator import school_snapshot, typical_school

pytestmark = pytest.mark.django_db


def roll(school, *, days_ago: int = 1) -> dict:
    """The school's MIS roll (about 50 learners and 10 staff), as its client would send it."""
    spec = typical_school(dfes_number=school.dfes_number, learners=50)
    return school_snapshot(spec, datetime.now(UTC) - timedelta(days=days_ago))


def snapshot_file(tmp_path: Path, snapshot: dict, name: str = "snapshot.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    return path


def import_files(*paths: Path, **options) -> tuple[str, str]:
    """Run the command as the Hwb team would; return what it printed (stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    call_command("import_snapshot", *map(str, paths), stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def on_roll(snapshot: dict) -> list[dict]:
    return [r for r in snapshot["learners"] if r["leaving_date"] is None]


def test_a_snapshot_file_is_applied_and_its_counts_printed(school, tmp_path):
    snapshot = roll(school)
    stdout, _stderr = import_files(snapshot_file(tmp_path, snapshot))

    run = ProvisioningRun.objects.get()
    assert run.status == "succeeded"
    assert run.source == "import"
    assert User.objects.filter(school=school, kind=User.Kind.LEARNER).count() == len(
        on_roll(snapshot)
    )
    assert "Succeeded" in stdout
    received = len(snapshot["learners"])
    assert f"learners: received {received}, created {received}," in stdout


def test_the_same_file_twice_changes_nothing_the_second_time(school, tmp_path):
    path = snapshot_file(tmp_path, roll(school))
    import_files(path)

    stdout, _stderr = import_files(path)

    assert "created 0, updated 0" in stdout
    assert ProvisioningRun.objects.latest("id").counts["learners"]["created"] == 0


def test_rejected_records_are_listed_in_plain_words_and_the_rest_applied(school, tmp_path):
    snapshot = roll(school)
    bad = snapshot["learners"][3]
    bad["upn"] = ("A" if bad["upn"][0] != "A" else "B") + bad["upn"][1:]
    stdout, _stderr = import_files(snapshot_file(tmp_path, snapshot))

    assert "1 records rejected" in stdout
    assert f"learners[3] {bad['forename']} {bad['surname']} {bad['upn']}: upn:" in stdout
    assert "check letter" in stdout
    assert MisLearner.objects.filter(school=school).count() == len(snapshot["learners"]) - 1


def test_only_the_first_20_errors_are_listed(school, tmp_path):
    snapshot = roll(school)
    for record in snapshot["learners"][:25]:
        record["year_group"] = "Y7"
    stdout, _stderr = import_files(snapshot_file(tmp_path, snapshot))

    assert stdout.count("year_group:") == 20
    assert "… and 5 more" in stdout


def test_a_dry_run_reports_the_counts_and_changes_nothing(school, tmp_path):
    snapshot = roll(school)
    stdout, _stderr = import_files(snapshot_file(tmp_path, snapshot), dry_run=True)

    assert "Dry run: nothing was changed" in stdout
    assert f"created {len(snapshot['learners'])}" in stdout
    assert not MisLearner.objects.exists()
    assert not User.objects.filter(kind=User.Kind.LEARNER).exists()
    assert ProvisioningRun.objects.get().dry_run


def test_a_file_that_is_not_json_is_refused_clearly(school, tmp_path):
    path = tmp_path / "roll.json"
    path.write_bytes(b"\x00\x01 this is not JSON")

    with pytest.raises(CommandError, match="(?s)roll.json is not a snapshot .* not valid JSON"):
        import_files(path)
    assert not ProvisioningRun.objects.exists()


def test_a_file_with_a_wrong_envelope_lists_what_is_wrong(school, tmp_path):
    snapshot = roll(school)
    del snapshot["extracted_at"]
    snapshot["learners"] = "everyone"

    with pytest.raises(CommandError) as raised:
        import_files(snapshot_file(tmp_path, snapshot))
    message = str(raised.value)
    assert "nothing was applied" in message
    assert "extracted_at: extracted_at is required." in message
    assert "learners: learners must be a list." in message


def test_a_snapshot_of_an_unknown_school_is_refused(school, tmp_path):
    snapshot = roll(school)
    snapshot["school"] = "6819999"

    with pytest.raises(CommandError, match="school 6819999, which the portal does not know"):
        import_files(snapshot_file(tmp_path, snapshot))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Could not read .*absent.json"):
        import_files(tmp_path / "absent.json")


def test_one_bad_file_stops_the_command_before_any_file_is_applied(school, tmp_path):
    good = snapshot_file(tmp_path, roll(school), "good.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")

    with pytest.raises(CommandError, match="bad.json"):
        import_files(good, bad)
    assert not ProvisioningRun.objects.exists()


def test_an_older_snapshot_than_the_last_applied_is_refused(school, tmp_path):
    import_files(snapshot_file(tmp_path, roll(school, days_ago=1), "new.json"))

    with pytest.raises(CommandError, match="before the last applied one"):
        import_files(snapshot_file(tmp_path, roll(school, days_ago=5), "old.json"))


def test_a_held_run_says_so(school, tmp_path):
    import_files(snapshot_file(tmp_path, roll(school, days_ago=2), "full.json"))
    empty = roll(school, days_ago=1)
    empty["learners"], empty["staff"] = [], []

    stdout, _stderr = import_files(snapshot_file(tmp_path, empty, "empty.json"))

    assert ProvisioningRun.objects.latest("id").status == "held"
    assert "Held for review, nothing applied" in stdout
    assert "The Hwb team applies or discards it in the admin." in stdout


def test_the_progress_bar_is_drawn_on_request_and_quiet_otherwise(school, tmp_path):
    path = snapshot_file(tmp_path, roll(school, days_ago=2))
    _stdout, quiet = import_files(path)
    assert quiet == ""

    _stdout, drawn = import_files(path, progress=True)
    assert "[" + "#" * 30 + "] 100%" in drawn
    assert drawn.endswith("\n")
