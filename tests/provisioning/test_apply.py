"""Applying a school's snapshot: records in, accounts out, leavers, restores, holds, dry runs."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccountMove, AuditEntry, SchoolRole, User
from provisioning.models import MisLearner, MisStaff, ProvisioningRun
from provisioning.services import ProvisioningError, StaleSnapshot
from provisioning.services.held_runs import run_discard, run_release
from provisioning.services.runs import snapshot_import
from schools.identifiers import upn_from_digits
from tests.factories import make_account
from tests.provisioning.builders import learner_record, snapshot, staff_record
from tests.services import require

SEPT = datetime(2026, 9, 2, 6, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_september():
    with time_machine.travel(datetime(2026, 9, 2, 9, 0, tzinfo=UTC), tick=False):
        yield


def apply(school, learners=(), staff=(), at=SEPT, **kwargs):
    return snapshot_import(
        school=school,
        snapshot=snapshot(school, learners=learners, staff=staff, extracted_at=at),
        **kwargs,
    )


def account_of(run, upn):
    return User.objects.get(username=run.accounts["learners"][upn])


def test_a_first_snapshot_creates_an_account_for_everyone_on_roll(school):
    siân = learner_record(forename="Siân", surname="Jones")
    llŷr = learner_record(forename="Llŷr", surname="ap Iwan", year_group="R")
    head = staff_record("HEA", forename="Gwenllian", surname="Ellis", is_headteacher=True)
    governor = staff_record("GOV", forename="Huw", surname="Price", role="governor")
    run = apply(school, [siân, llŷr], [head, governor])

    assert run.status == "succeeded"
    assert run.counts["learners"] == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "left": 0,
        "moved_in": 0,
        "awaiting_leaver": 0,
        "rejected": 0,
    }
    assert run.counts["staff"]["created"] == 2
    assert run.accounts == {
        "learners": {siân["upn"]: "joness", llŷr["upn"]: "apiwanl"},
        "staff": {"HEA": "ellisg", "GOV": "priceh"},
    }
    learner = User.objects.get(username="joness")
    assert (learner.kind, learner.school, learner.first_name) == ("learner", school, "Siân")
    assert not learner.has_usable_password(), "no password until one is issued"
    assert User.objects.get(username="priceh").kind == "governor"
    assert SchoolRole.objects.get(school=school, role="headteacher").user.username == "ellisg"
    assert AuditEntry.objects.filter(action="account.created", school=school).count() == 4
    assert run.finished_at is not None and run.snapshot is None


def test_the_same_snapshot_twice_changes_nothing_the_second_time(school):
    learners = [learner_record() for _ in range(5)]
    staff = [staff_record(is_headteacher=True), staff_record()]
    apply(school, learners, staff)
    accounts_before = list(User.objects.order_by("pk").values())
    audit_before = AuditEntry.objects.count()

    again = apply(school, learners, staff)

    assert again.counts["learners"]["unchanged"] == 5
    assert again.counts["staff"]["unchanged"] == 2
    assert sum(again.counts["learners"].values()) == 10  # received 5 + unchanged 5
    assert list(User.objects.order_by("pk").values()) == accounts_before
    # Only the run itself is audited.
    assert AuditEntry.objects.count() == audit_before + 1


def test_a_repeated_snapshot_reports_the_usernames_as_they_are_now(school, other_school):
    """After a transfer, the new school's unchanged snapshot names the account that moved there
    (the one its holder signs in with), not the fresh account it replaced (now deactivated)."""
    from provisioning.staff_moves import staff_account_take_over

    siân = staff_record(forename="Siân", surname="Jones", start_date="2026-09-01")
    pupil = learner_record()
    first = apply(school, [pupil], [siân])
    fresh = User.objects.get(username=first.accounts["staff"][siân["staff_code"]])
    previous = make_account(school=other_school, first_name="Siân", last_name="Jones")
    staff_account_take_over(
        previous=previous,
        replaced=fresh,
        new_school=school,
        reason=AccountMove.Reason.TRANSFER,
        actor=None,
        details={},
    )

    again = apply(school, [pupil], [siân])

    assert again.counts["staff"]["unchanged"] == 1
    assert again.accounts["staff"] == {siân["staff_code"]: previous.username}
    assert again.accounts["learners"] == first.accounts["learners"]
    assert not User.objects.get(pk=fresh.pk).is_active


def test_a_clashing_name_takes_the_next_free_number(school, other_school):
    make_account(school=other_school, first_name="Sarah", last_name="Jones")
    run = apply(school, [learner_record(forename="Sam", surname="Jones")] * 1)
    assert list(run.accounts["learners"].values()) == ["joness2"]


@pytest.mark.parametrize(
    ("bad", "field", "code"),
    [
        ({"upn": "A801200005001"}, "upn", "invalid_check_letter"),
        ({"upn": "b801200005001"}, "upn", "upn_format"),
        ({"upn": None}, "upn", "required"),
        ({"year_group": "15"}, "year_group", "invalid_year_group"),
        ({"date_of_birth": "17/04/2015"}, "date_of_birth", "invalid_date"),
        ({"admission_date": "2019-02-30"}, "admission_date", "invalid_date"),
        ({"leaving_date": "2019-09-02"}, "leaving_date", "leaving_before_start"),
        ({"forename": ""}, "forename", "invalid_name"),
        ({"surname": "x" * 101}, "surname", "invalid_name"),
        ({"surname": "Jones\x00"}, "surname", "invalid_name"),
        ({"forename": 7}, "forename", "invalid_type"),
    ],
)
def test_a_bad_learner_record_is_rejected_and_the_rest_applied(school, bad, field, code):
    good = learner_record(forename="Ffion")
    record = {**learner_record(), **bad}
    run = apply(school, [good, record])

    assert run.status == "succeeded"
    assert run.counts["learners"]["created"] == 1
    assert run.counts["learners"]["rejected"] == 1
    [error] = run.errors
    assert (error["record"], error["field"], error["code"]) == ("learners[1]", field, code)
    assert error["message"]
    assert list(run.accounts["learners"]) == [good["upn"]]


@pytest.mark.parametrize(
    ("bad", "field", "code"),
    [
        ({"staff_code": "TOO-LONG-CODE"}, "staff_code", "staff_code_format"),
        ({"role": "caretaker"}, "role", "invalid_role"),
        ({"work_email": "not an email"}, "work_email", "invalid_email"),
        ({"start_date": "2020-09-01", "leaving_date": "2019-07-20"}, "leaving_date", None),
        ({"is_headteacher": "yes"}, "is_headteacher", "invalid_type"),
    ],
)
def test_a_bad_staff_record_is_rejected_and_the_rest_applied(school, bad, field, code):
    run = apply(school, [], [staff_record("GOOD"), staff_record(**bad)])
    assert run.counts["staff"]["created"] == 1
    assert run.counts["staff"]["rejected"] == 1
    assert run.errors[0]["field"] == field
    assert run.errors[0]["code"] == (code or "leaving_before_start")


def test_duplicates_in_a_snapshot_are_all_rejected_not_guessed_between(school):
    twin = learner_record()
    run = apply(
        school,
        [twin, dict(twin, forename="Other"), learner_record()],
        [staff_record("SJO"), staff_record("SJO", forename="Sam"), staff_record("OK1")],
    )
    assert run.counts["learners"]["rejected"] == 2
    assert run.counts["staff"]["rejected"] == 2
    assert {e["code"] for e in run.errors} == {"duplicate"}
    assert not MisLearner.objects.filter(school=school, forename="Other").exists()


def test_two_current_headteachers_are_both_rejected(school):
    run = apply(
        school,
        [],
        [
            staff_record("HT1", is_headteacher=True),
            staff_record("HT2", is_headteacher=True),
            staff_record("OLD", is_headteacher=True, leaving_date="2025-08-31"),
        ],
    )
    assert sorted(e["key"] for e in run.errors) == ["HT1", "HT2"]
    assert {e["code"] for e in run.errors} == {"second_headteacher"}
    assert not SchoolRole.objects.filter(school=school, role="headteacher").exists()


def test_a_rejected_record_stays_as_it_was_and_does_not_count_as_a_leaver(school):
    siân = learner_record(forename="Siân")
    apply(school, [siân])
    run = apply(school, [dict(siân, forename="", year_group="99")])
    assert run.counts["learners"]["rejected"] == 1
    assert run.counts["learners"]["left"] == 0
    record = MisLearner.objects.get(school=school)
    assert (record.forename, record.year_group, record.leaving_date) == ("Siân", "6", None)
    assert account_of(run if run.accounts["learners"] else apply(school, [siân]), siân["upn"])


def test_a_temporary_upn_is_accepted_with_a_warning(school):
    run = apply(school, [learner_record("G80120000101A")])
    assert run.counts["learners"]["created"] == 1
    assert [(w["key"], w["code"]) for w in run.warnings] == [("G80120000101A", "temporary_upn")]


def test_a_leaver_is_deactivated_by_the_first_run_on_or_after_the_leaving_date(school):
    elin = learner_record(forename="Elin", surname="Roberts")
    apply(school, [elin])
    run = apply(school, [dict(elin, leaving_date="2026-09-30")])
    account = account_of(run, elin["upn"])
    assert run.counts["learners"]["left"] == 1
    assert account.is_active, "the leaving date has not come yet"

    with time_machine.travel(datetime(2026, 10, 1, 9, 0, tzinfo=UTC), tick=False):
        apply(school, [dict(elin, leaving_date="2026-09-30")], at=datetime(2026, 10, 1, tzinfo=UTC))
    account.refresh_from_db()
    assert not account.is_active
    assert account.deactivation_reason == "left"
    assert timezone.localtime(account.deletion_due_at).date().isoformat() == "2027-09-30"


def test_someone_missing_from_the_snapshot_leaves_on_its_date_and_is_restored_on_return(school):
    people = [learner_record() for _ in range(20)]
    gone = people[0]
    first = apply(school, people)
    account = account_of(first, gone["upn"])

    run = apply(school, people[1:])
    assert run.counts["learners"]["left"] == 1
    record = MisLearner.objects.get(school=school, account=account)
    assert (record.absent, record.leaving_date.isoformat()) == (True, "2026-09-02")
    account.refresh_from_db()
    assert not account.is_active

    back = apply(school, people)
    account.refresh_from_db()
    assert account.is_active, "restored: the same account, reactivated"
    assert back.counts["learners"]["updated"] == 1
    assert back.accounts["learners"][gone["upn"]] == account.username
    assert User.objects.filter(kind="learner").count() == 20
    assert AuditEntry.objects.filter(action="account.restored", target_id=str(account.pk)).exists()


def test_staff_names_and_headteacher_follow_the_mis(school, headteacher):
    apply(school, [], [staff_record("ABC", forename="Gareth", surname="Evans")])
    assert not SchoolRole.objects.filter(school=school, role="headteacher").exists()
    apply(
        school,
        [],
        [staff_record("ABC", forename="Gareth", surname="Evans-Hughes", is_headteacher=True)],
    )
    head = SchoolRole.objects.get(school=school, role="headteacher").user
    assert (head.username, head.last_name) == ("evansg", "Evans-Hughes")


# --- Protection against a bad sync ----------------------------------------------------------------


def test_an_empty_snapshot_is_held_and_the_champions_and_hwb_team_are_told(
    school, champion, django_capture_on_commit_callbacks
):
    people = [learner_record() for _ in range(10)]
    apply(school, people)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = apply(school, [], [])
    assert run.status == "held"
    assert "no learners and no staff" in run.failure_reason
    assert User.objects.filter(kind="learner", is_active=True).count() == 10
    assert {m.to[0] for m in mail.outbox} == {champion.email, "hwb-team@hwb.gov.wales"}


def test_a_snapshot_silently_dropping_a_fifth_of_a_school_is_held(
    school, hwb_team, django_capture_on_commit_callbacks
):
    people = [learner_record() for _ in range(50)]
    apply(school, people)
    held = apply(school, people[10:])
    assert held.status == "held"
    assert "10 of 50 current learners (20%)" in held.failure_reason
    assert held.counts["learners"]["left"] == 10, "what applying it would do, for the Hwb team"
    assert MisLearner.objects.filter(school=school, leaving_date__isnull=True).count() == 50

    with pytest.raises(ProvisioningError):
        run_release(run=ProvisioningRun.objects.get(status="succeeded"), actor=hwb_team)
    with django_capture_on_commit_callbacks(execute=True):
        released = run_release(run=held, actor=hwb_team)
    released.refresh_from_db()
    assert released.status == "succeeded"
    assert released.counts["learners"]["left"] == 10
    assert User.objects.filter(kind="learner", is_active=True).count() == 40
    assert released.decided_by == hwb_team


def test_a_discarded_snapshot_applies_nothing(school, hwb_team):
    people = [learner_record() for _ in range(50)]
    apply(school, people)
    held = apply(school, people[10:])
    run_discard(run=held, actor=hwb_team)
    held.refresh_from_db()
    assert (held.status, held.snapshot) == ("discarded", None)
    assert User.objects.filter(kind="learner", is_active=True).count() == 50
    assert AuditEntry.objects.filter(action="provisioning.run_discarded").exists()


def test_a_year_group_leaving_with_leaving_dates_is_not_held(school):
    year6 = [learner_record(year_group="6") for _ in range(30)]
    others = [learner_record(year_group="3") for _ in range(20)]
    apply(school, year6 + others)
    run = apply(school, [dict(p, leaving_date="2026-07-20") for p in year6] + others)
    assert run.status == "succeeded"
    assert run.counts["learners"]["left"] == 30
    assert User.objects.filter(kind="learner", is_active=False).count() == 30


def test_a_few_leaving_below_the_minimum_is_not_held(school, settings):
    settings.HWB_HOLD_MIN_PEOPLE = 5
    people = [learner_record() for _ in range(10)]
    apply(school, people)
    assert apply(school, people[4:]).status == "succeeded"  # 4 of 10 disappear: under 5


def test_a_dry_run_reports_the_same_counts_and_changes_nothing(school):
    people = [learner_record() for _ in range(3)]
    dry = apply(school, people + [learner_record(upn="A801200005001")], dry_run=True)
    assert (dry.status, dry.dry_run) == ("succeeded", True)
    assert dry.counts["learners"]["created"] == 3
    assert dry.counts["learners"]["rejected"] == 1
    assert not User.objects.filter(kind="learner").exists()
    assert not MisLearner.objects.exists()
    real = apply(school, people + [learner_record(upn="A801200005001")])
    assert real.counts == dry.counts


def test_a_snapshot_older_than_the_last_applied_is_refused(school):
    apply(school, [learner_record()])
    with pytest.raises(StaleSnapshot):
        apply(school, [learner_record()], at=datetime(2026, 9, 1, tzinfo=UTC))


def test_a_failure_in_the_middle_leaves_nothing_applied(school):
    require(
        connection.vendor == "postgresql",
        "PostgreSQL (the failure is injected by a trigger)",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    people = [learner_record(forename="Ann"), learner_record(forename="Bob", surname="Boom")]
    apply(school, [people[0]])
    before = (User.objects.count(), MisLearner.objects.count(), AuditEntry.objects.count())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
            BEGIN IF NEW.username LIKE 'boom%%' THEN RAISE EXCEPTION 'injected'; END IF;
            RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_boom BEFORE INSERT ON accounts_user
            FOR EACH ROW EXECUTE FUNCTION refuse_boom();
            """
        )
    # Ann leaves (an UPDATE), Bob's record is written, then his account fails to be inserted.
    run = apply(school, [dict(people[0], leaving_date="2026-09-01"), people[1]])
    assert run.status == "failed"
    assert "nothing was applied" in run.failure_reason
    assert (User.objects.count(), MisLearner.objects.count()) == before[:2]
    assert MisLearner.objects.get().leaving_date is None
    assert User.objects.get(kind="learner").is_active


def test_the_number_of_statements_does_not_grow_with_the_roll(school, other_school):
    def statements(target, size):
        people = [
            learner_record(upn_from_digits(f"{target.dfes_number}{serial:05d}"))
            for serial in range(size)
        ]
        staff = [staff_record() for _ in range(5)]
        with CaptureQueriesContext(connection) as first:
            apply(target, people, staff)
        with CaptureQueriesContext(connection) as again:
            apply(target, people, staff)
        return counted(first), counted(again)

    def counted(captured) -> int:
        # ANALYZE of a big table follows how much it changed since its last ANALYZE (which the
        # tests before this one decide), not the size of this roll: it is left out.
        return sum(
            1
            for query in captured.captured_queries
            if not query["sql"].startswith(("ANALYZE accounts_", "ANALYZE provisioning_"))
        )

    assert statements(school, 150) == statements(other_school, 1500)


@pytest.fixture
def hwb_team(db):
    return User.objects.create_superuser("hwbadmin", "Admin-Pass-42", first_name="H", last_name="T")


def test_mis_records_keep_no_raw_upn(school):
    upn = learner_record()["upn"]
    apply(school, [learner_record(upn)])
    assert upn not in str(list(MisLearner.objects.values()))
    assert upn not in str(list(User.objects.values()))
    assert MisStaff.objects.count() == 0


def test_the_same_snapshot_again_is_recognised_and_reports_the_same(school):
    people = [learner_record() for _ in range(30)] + [learner_record(upn="A801200005001")]
    staff = [staff_record(is_headteacher=True)]
    first = apply(school, people, staff)
    with CaptureQueriesContext(connection) as repeated:
        again = apply(school, people, staff)
    assert again.counts["learners"] == {
        **dict.fromkeys(first.counts["learners"], 0),
        "received": 31,
        "unchanged": 30,
        "rejected": 1,
    }
    assert again.errors == first.errors and again.accounts == first.accounts
    assert len(repeated) < 40, "no staging, no checks: the records are the ones applied last"
    changed = apply(school, [dict(people[0], surname="Newname"), *people[1:]], staff)
    assert changed.counts["learners"]["updated"] == 1
