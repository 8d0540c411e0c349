"""The champion's list by year group and registration group, as the school's MIS gives them
(contract 1.1), and its query count as the school grows from 50 to 2,000 accounts."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from provisioning.services.runs import snapshot_import
from schools.identifiers import upn_from_digits
from tests.provisioning.builders import learner_record, snapshot, staff_record

pytestmark = pytest.mark.django_db
MAY = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def _learners(school, count: int, *, start: int = 0) -> list[dict]:
    return [
        learner_record(
            upn_from_digits(f"{school.dfes_number}{24 + n // 1000:02d}{n % 1000:03d}"),
            forename=f"Learner{n}",
            surname="Evans",
            year_group=str(1 + n % 6),
            registration_group=f"{1 + n % 6}{'AB'[n % 2]}",
        )
        for n in range(start, start + count)
    ]


def _import(school, learners, staff=()):
    with time_machine.travel(MAY, tick=False):
        run = snapshot_import(
            school=school, snapshot=snapshot(school, learners=learners, staff=staff)
        )
    assert run.status == "succeeded", run.errors
    return run


def _list(client, **params) -> str:
    response = client.get("/user-management/accounts/", params)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_list_filters_by_year_group_and_registration_group(champion_client, school):
    tutor = staff_record(forename="Gwen", surname="Tudur", registration_group="2B")
    run = _import(school, _learners(school, 12), [tutor])
    usernames = run.accounts["learners"]
    in_2b = {usernames[r["upn"]] for r in _learners(school, 12) if r["registration_group"] == "2B"}
    tutor_name = run.accounts["staff"][tutor["staff_code"]]

    body = _list(champion_client, group="2B")
    assert f"{len(in_2b)} accounts" in body  # the group's learners, not its tutor
    assert all(name in body for name in in_2b) and tutor_name not in body
    assert "Year 2, 2B" in body
    assert "Tutor of 2B" in _list(champion_client, q="Gwen Tudur")

    body = _list(champion_client, year_group="3")
    assert "2 accounts" in body and "Year 3, 3A" in body and tutor_name not in body
    # Only the groups on the roll are offered.
    assert '<option value="6B">6B</option>' in body
    assert '<option value="7A">' not in body


def test_a_group_that_is_not_on_the_roll_is_refused_and_lists_nothing_wrong(
    champion_client, school
):
    _import(school, _learners(school, 4))
    body = _list(champion_client, group="9Z")
    assert "There is a problem" in body
    assert "<title>Error:" in body


def test_a_bulk_reset_takes_the_registration_group_alone(champion_client, school):
    run = _import(school, _learners(school, 8))
    response = champion_client.get("/user-management/accounts/reset-passwords/", {"group": "1A"})
    assert "2 accounts" in " ".join(response.content.decode().split())
    champion_client.post("/user-management/accounts/reset-passwords/", {"group": "1A"})
    reset = set(
        User.objects.filter(school=school, must_change_password=True).values_list(
            "username", flat=True
        )
    )
    expected = {run.accounts["learners"][r["upn"]] for r in _learners(school, 8)[::6]}
    assert reset == expected


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        _list(client, **params)
    return len(captured)


def test_the_query_count_stays_flat_from_50_to_2000_accounts(champion_client, school):
    _import(school, _learners(school, 50))
    small = [_queries(champion_client), _queries(champion_client, year_group="4", group="4B")]
    _import(school, _learners(school, 2000))
    assert User.objects.filter(school=school).count() > 2000
    large = [_queries(champion_client), _queries(champion_client, year_group="4", group="4B")]
    assert large == small


def test_a_champion_resets_only_the_accounts_ticked_on_the_list(champion_client, school):
    run = _import(school, _learners(school, 6))
    usernames = list(run.accounts["learners"].values())
    ticked = list(User.objects.filter(username__in=usernames[:2]).values_list("pk", flat=True))
    asked = " ".join(
        champion_client.get("/user-management/accounts/reset-passwords/", {"account": ticked})
        .content.decode()
        .split()
    )
    assert "Reset the passwords of 2 accounts?" in asked and "Each account you selected" in asked
    champion_client.post("/user-management/accounts/reset-passwords/", {"account": ticked})
    reset = set(User.objects.filter(must_change_password=True).values_list("pk", flat=True))
    assert reset == set(ticked)
