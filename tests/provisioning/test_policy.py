"""The lifecycle rules say the same thing in Python, in SQL and as ORM filters, over every date."""

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection

from accounts.models import User
from provisioning import policy
from provisioning.models import MisLearner

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 1)
# Before, on and after the day, and none at all.
DATES = (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))


@pytest.fixture
def records(school) -> dict[int, MisLearner]:
    """One learner record for every pair of admission and leaving dates."""
    created = MisLearner.objects.bulk_create(
        MisLearner(
            school=school,
            upn_hash=f"hash{number}",
            forename="Ann",
            surname="Jones",
            year_group="5",
            admission_date=admission,
            leaving_date=leaving,
        )
        for number, (admission, leaving) in enumerate(itertools.product(DATES, repeat=2))
    )
    return {record.pk: record for record in created}


@pytest.fixture
def accounts(school) -> dict[int, User]:
    """One account for every kind, deactivation reason and active flag."""
    created = User.objects.bulk_create(
        User(
            username=f"person{number}",
            email=f"person{number}@hwb.test",
            first_name="Ann",
            last_name="Jones",
            kind=kind,
            school=school,
            is_active=active,
            deactivation_reason=reason,
        )
        for number, (kind, reason, active) in enumerate(
            itertools.product(
                User.Kind.values, ["", *User.DeactivationReason.values], (True, False)
            )
        )
    )
    return {account.pk: account for account in created}


def sql_ids(table: str, alias: str, condition: str, params: list, ids) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {alias}.id FROM {table} {alias} WHERE {condition}",  # noqa: S608
            params,
        )
        return {pk for (pk,) in cursor.fetchall()} & set(ids)


def test_on_roll_is_the_same_rule_in_python_sql_and_the_orm(records):
    python = {
        pk
        for pk, r in records.items()
        if policy.is_on_roll(
            admission_date=r.admission_date, leaving_date=r.leaving_date, today=TODAY
        )
    }
    sql, params = policy.on_roll_sql("m", today=TODAY)
    assert sql_ids("provisioning_mislearner", "m", sql, params, records) == python
    assert sql_ids("provisioning_mislearner", "m", f"NOT {sql}", params, records) == (
        set(records) - python
    )
    assert (
        set(MisLearner.objects.filter(policy.on_roll_q(today=TODAY)).values_list("pk", flat=True))
        == python
    )
    assert 0 < len(python) < len(records)


def test_a_current_record_is_one_without_a_leaving_date_in_sql_and_the_orm(records):
    current = {pk for pk, r in records.items() if r.leaving_date is None}
    sql = policy.current_sql("m")
    assert sql_ids("provisioning_mislearner", "m", sql, [], records) == current
    assert (
        set(MisLearner.objects.filter(policy.current_q()).values_list("pk", flat=True)) == current
    )
    on_roll = {
        pk
        for pk, r in records.items()
        if policy.is_on_roll(
            admission_date=r.admission_date, leaving_date=r.leaving_date, today=TODAY
        )
    }
    assert on_roll < current, "admitted for a later date: current, not yet on roll"


def test_deactivation_by_a_run_is_the_same_rule_in_python_and_sql_and_so_is_its_negation(records):
    python = {
        pk
        for pk, r in records.items()
        if policy.is_deactivated_by_run(leaving_date=r.leaving_date, run_date=TODAY)
    }
    sql, params = policy.deactivated_by_run_sql("m", run_date=TODAY)
    assert sql_ids("provisioning_mislearner", "m", sql, params, records) == python
    # A run creates accounts for NOT this: records with no leaving date are among them.
    assert sql_ids("provisioning_mislearner", "m", f"NOT {sql}", params, records) == (
        set(records) - python
    )
    assert 0 < len(python) < len(records)


def test_every_record_whose_state_changes_between_two_days_has_a_date_come_due(records):
    since = TODAY - timedelta(days=1)

    def state(record, day):
        return (
            policy.is_on_roll(
                admission_date=record.admission_date, leaving_date=record.leaving_date, today=day
            ),
            policy.is_deactivated_by_run(leaving_date=record.leaving_date, run_date=day),
        )

    changed = {pk for pk, r in records.items() if state(r, since) != state(r, TODAY)}
    due = set(
        MisLearner.objects.filter(policy.dates_came_due_q(since=since, today=TODAY)).values_list(
            "pk", flat=True
        )
    )
    assert changed and changed <= due
    staff_due = policy.dates_came_due_q(since=since, today=TODAY, admission=False)
    assert set(MisLearner.objects.filter(staff_due).values_list("pk", flat=True)) == {
        pk for pk, r in records.items() if r.leaving_date == TODAY
    }


def test_which_accounts_move_by_themselves_is_the_same_rule_in_python_and_sql(accounts):
    python = {
        pk
        for pk, a in accounts.items()
        if policy.account_may_move(kind=a.kind, deactivation_reason=a.deactivation_reason)
    }
    sql, params = policy.account_may_move_sql("u")
    assert sql_ids("accounts_user", "u", sql, params, accounts) == python
    assert {accounts[pk].kind for pk in python} == {User.Kind.LEARNER}
    assert {accounts[pk].deactivation_reason for pk in python} == {"", "left"}


def test_which_accounts_a_run_restores_is_the_same_rule_in_python_and_sql(accounts):
    python = {
        pk
        for pk, a in accounts.items()
        if policy.is_restorable(is_active=a.is_active, deactivation_reason=a.deactivation_reason)
    }
    sql, params = policy.restorable_sql("u")
    assert sql_ids("accounts_user", "u", sql, params, accounts) == python
    assert {(accounts[pk].is_active, accounts[pk].deactivation_reason) for pk in python} == {
        (False, "left")
    }
