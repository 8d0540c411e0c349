"""Learners move by themselves: a leaver at one school and on roll at another, one account."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from accounts.models import AccountMove, AuditEntry, User
from provisioning.services.jobs import learner_admissions_settle
from provisioning.services.runs import snapshot_import
from tests.factories import PASSWORD, SchoolFactory, make_champion
from tests.provisioning.builders import learner_record, snapshot

pytestmark = pytest.mark.django_db
JULY = datetime(2026, 7, 20, 6, 0, tzinfo=UTC)
SEPT = datetime(2026, 9, 3, 6, 0, tzinfo=UTC)


def apply(school, learners, at):
    with time_machine.travel(at, tick=False):
        return snapshot_import(
            school=school, snapshot=snapshot(school, learners=learners, extracted_at=at)
        )


@pytest.fixture
def primary(school):
    return school


@pytest.fixture
def secondary(other_school):
    return other_school


@pytest.fixture
def elin(primary):
    """Elin, on roll at the primary since 2019, with a password she chose."""
    record = learner_record(forename="Elin", surname="Roberts", year_group="6")
    run = apply(primary, [record], JULY)
    account = User.objects.get(username=run.accounts["learners"][record["upn"]])
    account.set_password(PASSWORD)
    account.save()
    return record, account


def as_year7(record):
    return dict(record, year_group="7", admission_date="2026-09-03", leaving_date=None)


def as_leaver(record):
    return dict(record, leaving_date="2026-07-22")


def test_leaver_first_then_admission_moves_the_same_account(primary, secondary, elin):
    record, account = elin
    apply(primary, [as_leaver(record)], datetime(2026, 7, 23, tzinfo=UTC))
    account.refresh_from_db()
    assert not account.is_active, "deactivated after leaving the primary"

    run = apply(secondary, [as_year7(record)], SEPT)

    assert run.counts["learners"]["moved_in"] == 1
    assert run.counts["learners"]["created"] == 0
    assert run.accounts["learners"][record["upn"]] == account.username
    account.refresh_from_db()
    assert (account.school, account.is_active) == (secondary, True)
    assert account.check_password(PASSWORD), "same password"
    assert User.objects.filter(kind="learner").count() == 1
    move = AccountMove.objects.get(account=account)
    assert (move.from_school, move.to_school, move.reason) == (primary, secondary, "learner_mis")
    assert move.details["runs"]["to"] == run.pk
    assert move.details["runs"]["from"] is not None
    assert AuditEntry.objects.filter(action="account.moved", target_id=str(account.pk)).exists()


def test_admission_first_waits_for_the_leaver_then_moves_at_the_old_schools_run(
    primary, secondary, elin
):
    record, account = elin
    waiting = apply(secondary, [as_year7(record)], SEPT)
    assert waiting.counts["learners"]["awaiting_leaver"] == 1
    assert waiting.counts["learners"]["moved_in"] == 0
    assert waiting.accounts["learners"][record["upn"]] == account.username
    account.refresh_from_db()
    assert account.school == primary

    apply(primary, [as_leaver(record)], datetime(2026, 9, 4, tzinfo=UTC))

    account.refresh_from_db()
    assert (account.school, account.is_active) == (secondary, True)
    assert AccountMove.objects.get(account=account).to_school == secondary


def test_a_learner_missing_from_the_old_schools_snapshot_moves_too(primary, secondary, elin):
    record, account = elin
    others = [learner_record() for _ in range(30)]
    apply(primary, [record, *others], datetime(2026, 7, 21, tzinfo=UTC))
    apply(secondary, [as_year7(record)], SEPT)
    apply(primary, others, datetime(2026, 9, 4, tzinfo=UTC))  # Elin simply absent
    account.refresh_from_db()
    assert account.school == secondary


def test_dual_registration_moves_nothing_until_one_school_records_a_leaver(
    primary, secondary, elin
):
    record, account = elin
    apply(secondary, [as_year7(record)], SEPT)
    again = apply(secondary, [as_year7(record)], datetime(2026, 9, 10, tzinfo=UTC))
    assert again.counts["learners"]["awaiting_leaver"] == 1
    apply(primary, [record], datetime(2026, 9, 10, 7, tzinfo=UTC))  # primary: still on roll
    account.refresh_from_db()
    assert account.school == primary
    assert not AccountMove.objects.exists()


def test_two_schools_claiming_a_learner_are_both_told_and_nothing_is_guessed(
    primary, secondary, elin, django_capture_on_commit_callbacks
):
    record, account = elin
    champion_a = make_champion(primary)
    champion_b = make_champion(secondary, first_name="Bethan", last_name="Morgan")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        apply(secondary, [as_year7(record)], SEPT)
    assert {m.to[0] for m in mail.outbox} == {champion_a.email, champion_b.email}
    assert all("on roll" in m.body for m in mail.outbox)
    account.refresh_from_db()
    assert account.school == primary


def test_a_learner_claimed_by_two_new_schools_stays_put(primary, secondary, elin):
    record, account = elin
    third = SchoolFactory(dfes_number="6814099", name_en="Ysgol Plasmawr")
    apply(primary, [as_leaver(record)], datetime(2026, 7, 23, tzinfo=UTC))
    apply(secondary, [as_year7(record)], SEPT)
    account.refresh_from_db()
    assert account.school == secondary  # the first claim moved it
    apply(third, [as_year7(record)], datetime(2026, 9, 4, tzinfo=UTC))
    account.refresh_from_db()
    assert account.school == secondary, "the secondary still has Elin on roll"


def test_a_learner_admitted_for_a_later_date_moves_on_that_day_by_the_daily_job(
    primary, secondary, elin
):
    record, account = elin
    apply(primary, [as_leaver(record)], datetime(2026, 7, 23, tzinfo=UTC))
    later = dict(as_year7(record), admission_date="2026-09-07")
    run = apply(secondary, [later], SEPT)
    assert run.counts["learners"]["moved_in"] == 0
    assert [w["code"] for w in run.warnings] == ["admission_in_future"]
    account.refresh_from_db()
    assert account.school == primary

    with time_machine.travel(datetime(2026, 9, 6, 1, 0, tzinfo=UTC), tick=False):
        assert learner_admissions_settle() == 0
    with time_machine.travel(datetime(2026, 9, 7, 1, 0, tzinfo=UTC), tick=False):
        assert learner_admissions_settle() == 1
        assert learner_admissions_settle() == 0, "safe to run twice"
    account.refresh_from_db()
    assert (account.school, account.is_active) == (secondary, True)


def test_a_learner_new_to_wales_gets_a_new_account_even_before_the_first_day(secondary):
    newcomer = learner_record(forename="Amara", surname="Okafor", admission_date="2026-09-14")
    run = apply(secondary, [newcomer], SEPT)
    assert run.counts["learners"]["created"] == 1
    account = User.objects.get(username=run.accounts["learners"][newcomer["upn"]])
    assert (account.school, account.is_active) == (secondary, True)


def test_a_past_leaver_first_seen_gets_no_account(primary):
    run = apply(primary, [learner_record(leaving_date="2024-07-19")], SEPT)
    assert not User.objects.filter(kind="learner").exists()
    assert list(run.accounts["learners"].values()) == [None]
