"""The contract's count names are one list: the runs count them, the API and the schema show them,
the import command prints them and the champion's page labels them, all in the contract's order."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from provisioning import messages
from provisioning.contract import COUNT_NAMES, LEARNER_COUNTS, STAFF_COUNTS
from provisioning.credentials import client_token_issue
from provisioning.services.runs import snapshot_import

from .builders import learner_record, snapshot, staff_record

pytestmark = pytest.mark.django_db
API = "/api/provisioning/v1"


def test_the_contract_names_the_counts_of_learners_and_staff_in_order():
    assert LEARNER_COUNTS == (
        "received",
        "created",
        "updated",
        "unchanged",
        "left",
        "moved_in",
        "awaiting_leaver",
        "rejected",
    )
    assert STAFF_COUNTS == ("received", "created", "updated", "unchanged", "left", "rejected")
    assert COUNT_NAMES == {"learners": LEARNER_COUNTS, "staff": STAFF_COUNTS}


def test_a_run_counts_and_the_api_shows_every_count_in_the_contracts_order(school):
    run = snapshot_import(
        school=school,
        snapshot=snapshot(school, learners=[learner_record()], staff=[staff_record()]),
    )
    assert {kind: tuple(counts) for kind, counts in run.counts.items()} == COUNT_NAMES

    _token, secret = client_token_issue(school=school, actor=None)
    shown = Client().get(f"{API}/runs/{run.pk}/", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert {kind: tuple(counts) for kind, counts in shown["counts"].items()} == COUNT_NAMES


def test_the_schema_documents_the_contracts_counts_in_order(client):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert tuple(components["LearnerCounts"]["properties"]) == LEARNER_COUNTS
    assert tuple(components["StaffCounts"]["properties"]) == STAFF_COUNTS
    assert (
        "move_held" in components["LearnerCounts"]["properties"]["awaiting_leaver"]["description"]
    )


def test_the_import_command_prints_the_contracts_counts_in_order(school, tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot(school, learners=[learner_record()])))
    stdout = StringIO()
    call_command("import_snapshot", str(path), stdout=stdout)
    for kind, names in COUNT_NAMES.items():
        (line,) = [row for row in stdout.getvalue().splitlines() if row.startswith(f"  {kind}:")]
        assert [part.rsplit(" ", 1)[0] for part in line.split(": ", 1)[1].split(", ")] == [
            name.replace("_", " ") for name in names
        ]


def test_the_champions_page_has_a_label_for_every_count():
    assert {name for name, _label in messages.COUNT_LABELS} == set(LEARNER_COUNTS) | set(
        STAFF_COUNTS
    )
