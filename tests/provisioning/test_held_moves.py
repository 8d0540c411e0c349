"""A learner's account does not move on the UPN alone: a record at another school whose name and
date of birth disagree with the account's own MIS record is held for the Hwb team, who move the
account or keep the two learners apart. Ordinary moves still go through by themselves."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountMove, AuditEntry, OutboundEmail, User
from provisioning.credentials import client_token_issue
from provisioning.held_moves import held_move_keep_apart, held_move_move
from provisioning.models import HeldLearnerMove, MisLearner, ProvisioningRun
from provisioning.services.jobs import learner_admissions_settle
from provisioning.services.runs import run_receive, snapshot_import
from tests.conftest import sign_in
from tests.factories import PASSWORD, SchoolFactory, make_account, make_champion
from tests.provisioning.builders import learner_record, snapshot
from tests.workers import start_worker, stop, wait_until

pytestmark = pytest.mark.django_db
JULY_23 = datetime(2026, 7, 23, 6, 0, tzinfo=UTC)
SEPT = datetime(2026, 9, 3, 6, 0, tzinfo=UTC)
PAGE = "/user-management/provisioning/"
Status = HeldLearnerMove.Status


def apply(school, learners, at, **kwargs):
    with time_machine.travel(at, tick=False):
        return snapshot_import(
            school=school, snapshot=snapshot(school, learners=learners, extracted_at=at), **kwargs
        )


@pytest.fixture
def primary(school):
    return school


@pytest.fixture
def secondary(other_school):
    return other_school


@pytest.fixture
def champions(primary, secondary):
    return make_champion(primary), make_champion(secondary, first_name="Bethan", last_name="Morgan")


@pytest.fixture
def elin(primary):
    """Elin Roberts, on roll at the primary in year 6, with a password she chose."""
    record = learner_record(forename="Elin", surname="Roberts", date_of_birth="2015-04-17")
    run = apply(primary, [record], datetime(2026, 7, 20, 6, 0, tzinfo=UTC))
    account = User.objects.get(username=run.accounts["learners"][record["upn"]])
    account.set_password(PASSWORD)
    account.save()
    return record, account


@pytest.fixture
def elin_left(primary, elin):
    record, account = elin
    apply(primary, [dict(record, leaving_date="2026-07-22")], JULY_23)
    return record, account


def year7(record, **changes):
    return dict(record, year_group="7", admission_date="2026-09-03", leaving_date=None, **changes)


def someone_else(record):
    """Another child, sent with Elin's UPN."""
    return year7(record, forename="Osian", surname="Pritchard", date_of_birth="2014-01-02")


@pytest.fixture
def held(secondary, elin_left):
    record, account = elin_left
    run = apply(secondary, [someone_else(record)], SEPT)
    return record, account, run, HeldLearnerMove.objects.get()


@pytest.fixture
def hwb_team(db):
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


def held_bodies(recipient: str) -> list[str]:
    return [m.body for m in mail.outbox if m.to == [recipient]]


# --- Held --------------------------------------------------------------------------------------


def test_a_leavers_upn_sent_with_another_name_and_birthday_is_held_not_moved_or_renamed(
    client, settings, secondary, elin_left, champions, django_capture_on_commit_callbacks
):
    record, account = elin_left
    champion_a, champion_b = champions
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        run = apply(secondary, [someone_else(record)], SEPT)

    account.refresh_from_db()
    assert (account.school, account.is_active) == (champion_a.school, False), "stays as it was"
    assert (account.first_name, account.last_name) == ("Elin", "Roberts"), "not renamed"
    assert account.check_password(PASSWORD)
    assert not AccountMove.objects.exists()
    assert User.objects.filter(kind="learner").count() == 1, "no second account for one UPN"
    hold = HeldLearnerMove.objects.get()
    assert (hold.account, hold.from_school, hold.to_school, hold.status) == (
        account,
        champion_a.school,
        secondary,
        Status.OPEN,
    )
    assert (hold.forename, hold.surname, str(hold.date_of_birth)) == (
        "Osian",
        "Pritchard",
        "2014-01-02",
    )
    assert hold.run == run and "date_of_birth_differs" in hold.reasons
    assert AuditEntry.objects.filter(action="learner_move.held", target_id=str(account.pk)).exists()

    # The run says so in the contract's shape, counts it as waiting, and names no account.
    token = client_token_issue(school=secondary, actor=None)[1]
    shown = client.get(
        f"/api/provisioning/v1/runs/{run.pk}/", headers={"authorization": f"Bearer {token}"}
    ).json()
    assert shown["warnings"] == [
        {
            "record": "learners[0]",
            "key": record["upn"],
            "field": "upn",
            "code": "move_held",
            "message": shown["warnings"][0]["message"],
        }
    ]
    assert "name and date of birth" in shown["warnings"][0]["message"]
    assert shown["counts"]["learners"]["moved_in"] == 0
    assert shown["counts"]["learners"]["awaiting_leaver"] == 1
    assert shown["counts"]["learners"]["created"] == 0
    assert shown["accounts"]["learners"] == {record["upn"]: None}

    # Both schools' champions and the Hwb team are told, without naming either child.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [champion_a.email, champion_b.email, settings.HWB_TEAM_EMAIL]
    )
    assert "not moved to your school" in held_bodies(champion_b.email)[0]
    assert "who left your school" in held_bodies(champion_a.email)[0]
    team = held_bodies(settings.HWB_TEAM_EMAIL)[0]
    assert "/admin/provisioning/heldlearnermove/" in team
    assert f"from {champion_a.school} to {secondary}" in team
    for message in mail.outbox:
        assert "Elin" not in message.body and "Osian" not in message.body


def test_a_welsh_speaking_champion_is_told_in_welsh(
    secondary, elin_left, champions, django_capture_on_commit_callbacks
):
    record, _account = elin_left
    champion_b = champions[1]
    champion_b.preferred_language = "cy"
    champion_b.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        apply(secondary, [someone_else(record)], SEPT)

    (message,) = [m for m in mail.outbox if m.to == [champion_b.email]]
    assert message.subject.startswith("Daliwyd symud dysgwr rhwng ysgolion")
    assert "Ni symudwyd y cyfrif i’ch ysgol chi." in message.body


def test_admission_first_then_the_leaver_holds_the_move_at_the_old_schools_run(
    primary, secondary, elin
):
    record, account = elin
    waiting = apply(secondary, [someone_else(record)], SEPT)
    assert waiting.counts["learners"]["awaiting_leaver"] == 1
    assert not HeldLearnerMove.objects.exists(), "the primary still has Elin on roll"

    run = apply(
        primary, [dict(record, leaving_date="2026-09-03")], datetime(2026, 9, 4, tzinfo=UTC)
    )

    account.refresh_from_db()
    assert (account.school, account.first_name) == (primary, "Elin")
    hold = HeldLearnerMove.objects.get()
    assert (hold.from_school, hold.to_school, hold.run) == (primary, secondary, run)
    assert [w["code"] for w in run.warnings] == ["move_held"]
    assert run.accounts["learners"][record["upn"]] == account.username, "still the primary's"


def test_the_daily_admissions_job_holds_too(secondary, elin_left, settings, champions):
    record, account = elin_left
    later = dict(someone_else(record), admission_date="2026-09-07")
    apply(secondary, [later], SEPT)
    assert not HeldLearnerMove.objects.exists()
    mail.outbox.clear()

    with time_machine.travel(datetime(2026, 9, 7, 1, 0, tzinfo=UTC), tick=False):
        assert learner_admissions_settle() == 0
        assert learner_admissions_settle() == 0, "safe to run twice"

    account.refresh_from_db()
    assert account.school == champions[0].school
    hold = HeldLearnerMove.objects.get()
    assert (hold.to_school, hold.run) == (secondary, None)
    assert HeldLearnerMove.objects.count() == 1


def test_a_later_run_keeps_the_hold_without_a_second_one_or_another_email(
    secondary, held, champions, django_capture_on_commit_callbacks
):
    record, account, _run, hold = held
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = apply(
            secondary,
            [someone_else(record), learner_record(forename="Nia", surname="Evans")],
            datetime(2026, 9, 4, tzinfo=UTC),
        )
        apply(secondary, [someone_else(record)], datetime(2026, 9, 5, tzinfo=UTC))
        with time_machine.travel(datetime(2026, 9, 6, 1, 0, tzinfo=UTC), tick=False):
            learner_admissions_settle()

    assert list(HeldLearnerMove.objects.values_list("pk", "status")) == [(hold.pk, Status.OPEN)]
    assert not [m for m in mail.outbox if "held" in m.subject]
    assert [w["code"] for w in again.warnings] == ["move_held"]
    account.refresh_from_db()
    assert account.school != secondary


def test_a_repeated_snapshot_reports_a_held_learner_as_it_is_now(secondary, held, hwb_team):
    """The same snapshot again is not applied anew, but a held learner's username stays unknown
    to the claiming school, and after the Hwb team's decision the repeat says what is true now."""
    record, account, first, hold = held
    repeat = apply(secondary, [someone_else(record)], datetime(2026, 9, 4, tzinfo=UTC))
    assert repeat.accounts["learners"] == {record["upn"]: None}
    assert [w["code"] for w in repeat.warnings] == ["move_held"]

    held_move_keep_apart(hold=hold, actor=hwb_team)
    after = apply(secondary, [someone_else(record)], datetime(2026, 9, 5, tzinfo=UTC))
    assert after.accounts["learners"] == {record["upn"]: None}
    assert [w["code"] for w in after.warnings] == ["upn_in_use"]

    held_move_move(hold=HeldLearnerMove.objects.get(pk=hold.pk), actor=hwb_team)
    moved = apply(secondary, [someone_else(record)], datetime(2026, 9, 6, tzinfo=UTC))
    assert moved.accounts["learners"] == {record["upn"]: account.username}
    assert moved.warnings == []


def test_when_the_new_schools_record_comes_to_agree_the_account_moves(secondary, held):
    record, account, _run, hold = held
    corrected = year7(record, preferred_forename="Lyn")

    run = apply(secondary, [corrected], datetime(2026, 9, 4, tzinfo=UTC))

    assert run.counts["learners"]["moved_in"] == 1
    assert run.warnings == []
    account.refresh_from_db()
    assert (account.school, account.is_active) == (secondary, True)
    hold.refresh_from_db()
    assert hold.status == Status.RESOLVED
    assert AuditEntry.objects.filter(action="learner_move.hold_resolved").exists()


def test_when_the_new_school_corrects_the_upn_the_hold_goes_and_the_account_stays(secondary, held):
    record, account, _run, hold = held
    osian = dict(someone_else(record), upn=learner_record()["upn"])

    run = apply(secondary, [osian], datetime(2026, 9, 4, tzinfo=UTC))

    assert run.counts["learners"]["created"] == 1
    hold.refresh_from_db()
    assert hold.status == Status.RESOLVED
    account.refresh_from_db()
    assert account.school != secondary
    assert User.objects.get(username=run.accounts["learners"][osian["upn"]]).first_name == "Osian"


def test_a_dry_run_holds_nothing_and_tells_nobody(
    secondary, elin_left, champions, django_capture_on_commit_callbacks
):
    record, _account = elin_left
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = apply(secondary, [someone_else(record)], SEPT, dry_run=True)
    assert [w["code"] for w in run.warnings] == ["move_held"], "it says what would happen"
    assert not HeldLearnerMove.objects.exists()
    assert not mail.outbox


def test_twins_whose_upns_were_swapped_keep_their_own_accounts(primary, secondary):
    sian = learner_record(forename="Siân", surname="Jones", date_of_birth="2015-04-17")
    sion = learner_record(forename="Siôn", surname="Jones", date_of_birth="2015-04-17")
    run = apply(primary, [sian, sion], datetime(2026, 7, 20, tzinfo=UTC))
    before = dict(User.objects.filter(kind="learner").values_list("username", "first_name"))
    left = [dict(r, leaving_date="2026-07-22") for r in (sian, sion)]
    apply(primary, left, JULY_23)

    swapped = [year7(sian, upn=sion["upn"]), year7(sion, upn=sian["upn"])]
    apply(secondary, swapped, SEPT)

    assert HeldLearnerMove.objects.filter(status=Status.OPEN).count() == 2
    assert not User.objects.filter(school=secondary).exists()
    after = dict(User.objects.filter(kind="learner").values_list("username", "first_name"))
    assert after == before and set(run.accounts["learners"].values()) == set(before)


# --- Ordinary moves still go through by themselves --------------------------------------------


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({}, ("Elin", "Roberts")),  # year 6 to year 7
        ({"forename": "Elinor", "preferred_forename": "Elin"}, ("Elinor", "Roberts")),
        ({"surname": "Roberts-Hughes"}, ("Elin", "Roberts-Hughes")),  # double-barrelled
        ({"surname": "Hughes"}, ("Elin", "Hughes")),  # a changed surname, the same birthday
        ({"surname": "Robets"}, ("Elin", "Robets")),  # a spelling
        ({"forename": "ELIN", "surname": "ROBERTS"}, ("ELIN", "ROBERTS")),  # another MIS's habit
        ({"date_of_birth": None}, ("Elin", "Roberts")),  # the new MIS has no birthday yet
    ],
)
def test_the_same_learner_moves_by_themselves(secondary, elin_left, changes, names):
    record, account = elin_left

    run = apply(secondary, [year7(record, **changes)], SEPT)

    assert run.counts["learners"]["moved_in"] == 1
    assert run.warnings == []
    assert run.accounts["learners"][record["upn"]] == account.username
    account.refresh_from_db()
    assert (account.school, account.is_active) == (secondary, True)
    assert (account.first_name, account.last_name) == names
    assert not HeldLearnerMove.objects.exists()


def test_a_corrected_spelling_of_a_forename_moves_too(primary, secondary):
    gruffydd = learner_record(forename="Gruffydd", surname="Owen", date_of_birth="2015-01-09")
    run = apply(primary, [gruffydd], datetime(2026, 7, 20, tzinfo=UTC))
    apply(primary, [dict(gruffydd, leaving_date="2026-07-22")], JULY_23)

    moved = apply(secondary, [year7(gruffydd, forename="Gruffudd")], SEPT)

    assert moved.counts["learners"]["moved_in"] == 1
    assert User.objects.get(username=run.accounts["learners"][gruffydd["upn"]]).school == secondary


# --- The Hwb team decides ----------------------------------------------------------------------


def change_url(hold) -> str:
    return reverse("admin:provisioning_heldlearnermove_change", args=[hold.pk])


def test_the_hwb_team_sees_both_records_side_by_side(client, hwb_team, held):
    _record, _account, _run, hold = held
    client.force_login(hwb_team)

    body = client.get(change_url(hold)).content.decode()

    assert "Elin" in body and "Roberts" in body and "2015-04-17" in body
    assert "Osian" in body and "Pritchard" in body and "2014-01-02" in body
    assert "Move the account to" in body and "Keep them apart" in body
    listing = client.get(reverse("admin:provisioning_heldlearnermove_changelist")).content.decode()
    assert "Waiting for the Hwb team" in listing


def test_the_hwb_team_moves_a_held_account_through_the_one_move_service(
    client, hwb_team, held, champions, django_capture_on_commit_callbacks
):
    record, account, _run, hold = held
    client.force_login(hwb_team)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:provisioning_heldlearnermove_move", args=[hold.pk]),
            REMOTE_ADDR="198.51.100.7",
        )

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.school, account.is_active) == (hold.to_school, True)
    assert (account.first_name, account.last_name) == ("Osian", "Pritchard")
    assert account.check_password(PASSWORD), "the same account"
    move = AccountMove.objects.get(account=account)
    assert (move.from_school, move.to_school, move.actor) == (
        hold.from_school,
        hold.to_school,
        hwb_team,
    )
    assert move.details["held_move"] == hold.pk
    entry = AuditEntry.objects.get(action="learner_move.hold_moved")
    assert (entry.actor, entry.ip_address, entry.target_id) == (
        hwb_team,
        "198.51.100.7",
        str(account.pk),
    )
    hold.refresh_from_db()
    assert (hold.status, hold.decided_by) == (Status.MOVED, hwb_team)
    assert MisLearner.objects.get(school=hold.to_school).account == account
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in champions)

    # Deciding twice changes nothing.
    again = client.post(reverse("admin:provisioning_heldlearnermove_move", args=[hold.pk]))
    assert "no longer waiting for a decision" in str(list(get_messages(again.wsgi_request))[-1])
    assert AccountMove.objects.count() == 1


def test_the_hwb_team_keeps_them_apart_and_the_new_school_gets_no_account_of_that_upn(
    client, hwb_team, held, champions, django_capture_on_commit_callbacks
):
    record, account, _run, hold = held
    champion_a, champion_b = champions
    client.force_login(hwb_team)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:provisioning_heldlearnermove_keep_apart", args=[hold.pk]),
            REMOTE_ADDR="198.51.100.7",
        )

    hold.refresh_from_db()
    assert (hold.status, hold.decided_by) == (Status.KEPT_APART, hwb_team)
    entry = AuditEntry.objects.get(action="learner_move.hold_kept_apart")
    assert (entry.actor, entry.ip_address) == (hwb_team, "198.51.100.7")
    assert MisLearner.objects.get(school=hold.to_school).account is None
    assert "Check the learner's UPN" in held_bodies(champion_b.email)[0]
    assert "stays with the learner who left your school" in held_bodies(champion_a.email)[0]

    # The next sync neither links the UPN's account nor makes a second one for it.
    run = apply(
        hold.to_school,
        [someone_else(record), learner_record(forename="Nia", surname="Evans")],
        datetime(2026, 9, 4, tzinfo=UTC),
    )
    assert run.status == "succeeded"
    assert run.accounts["learners"][record["upn"]] is None
    assert [(w["record"], w["code"]) for w in run.warnings] == [("learners[0]", "upn_in_use")]
    assert MisLearner.objects.get(school=hold.to_school, forename="Osian").account is None
    assert User.objects.filter(upn_hash=account.upn_hash).count() == 1
    account.refresh_from_db()
    assert (account.school, account.first_name) == (hold.from_school, "Elin")

    # The new school's champion is asked to check the UPN.
    client.logout()
    sign_in(client, champion_b)
    page = client.get(PAGE).content.decode()
    assert "Learners with a UPN that belongs to someone else" in page
    assert "Osian Pritchard" in page and "Elin" not in page


def test_the_hwb_team_can_still_move_an_account_it_kept_apart(client, hwb_team, held):
    _record, account, _run, hold = held
    client.force_login(hwb_team)
    client.post(reverse("admin:provisioning_heldlearnermove_keep_apart", args=[hold.pk]))
    client.post(reverse("admin:provisioning_heldlearnermove_move", args=[hold.pk]))
    account.refresh_from_db()
    assert account.school == hold.to_school
    assert MisLearner.objects.get(school=hold.to_school).account == account


def test_a_hold_the_schools_settled_meanwhile_is_not_decided_again(client, hwb_team, primary, held):
    record, account, _run, hold = held
    # Elin is back on the primary's roll: the account is hers there again, and the claim goes.
    apply(primary, [record], datetime(2026, 9, 4, tzinfo=UTC))
    hold.refresh_from_db()
    assert hold.status == Status.RESOLVED
    client.force_login(hwb_team)

    response = client.post(reverse("admin:provisioning_heldlearnermove_move", args=[hold.pk]))

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("nothing changed" in m for m in messages)
    account.refresh_from_db()
    assert (account.school, account.is_active) == (primary, True)
    assert not AccountMove.objects.exists()


def test_deciding_needs_the_change_permission_and_a_post(client, held, secondary):
    _record, _account, _run, hold = held
    reader = make_account(
        kind=User.Kind.HWB_TEAM, first_name="Rhys", last_name="Reader", is_staff=True
    )
    reader.user_permissions.add(Permission.objects.get(codename="view_heldlearnermove"))
    client.force_login(reader)

    assert client.get(change_url(hold)).status_code == 200
    url = reverse("admin:provisioning_heldlearnermove_move", args=[hold.pk])
    assert client.post(url).status_code == 403
    hold.refresh_from_db()
    assert hold.status == Status.OPEN


# --- The champions' Provisioning pages ---------------------------------------------------------


def test_both_champions_see_their_own_learner_on_the_provisioning_page(client, held, champions):
    champion_a, champion_b = champions

    sign_in(client, champion_b)
    joining = client.get(PAGE).content.decode()
    assert "Learners whose move between schools the Hwb team is checking" in joining
    assert "Osian Pritchard" in joining and "not moved to your school" in joining
    assert "Elin" not in joining and champion_a.school.name not in joining

    client.logout()
    sign_in(client, champion_a)
    leaving = client.get(PAGE).content.decode()
    assert "Elin Roberts" in leaving and "Left your school" in leaving
    assert "Osian" not in leaving and champion_b.school.name not in leaving


# --- A real worker -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_holds_the_move_and_writes_the_emails(queue, local_authorities, settings):
    primary = SchoolFactory(dfes_number="6612001")
    secondary = SchoolFactory(dfes_number="6814004")
    champions = [make_champion(primary), make_champion(secondary, first_name="Bethan")]
    now = timezone.now()
    record = learner_record(forename="Elin", surname="Roberts")
    for hours, leaving in ((3, None), (2, str(timezone.localdate() - timedelta(days=1)))):
        snapshot_import(
            school=primary,
            snapshot=snapshot(
                primary,
                learners=[dict(record, leaving_date=leaving)],
                extracted_at=now - timedelta(hours=hours),
            ),
        )
    account = User.objects.get(kind="learner")

    worker = start_worker(queue)
    try:
        with transaction.atomic():  # the task is sent when this commits
            run = run_receive(
                school=secondary,
                snapshot=snapshot(
                    secondary,
                    learners=[
                        dict(
                            record,
                            forename="Osian",
                            surname="Pritchard",
                            date_of_birth="2014-01-02",
                        )
                    ],
                ),
            )
        wait_until(
            lambda: ProvisioningRun.objects.get(pk=run.pk).status in {"succeeded", "failed"},
            worker,
            "the run is applied",
        )
    finally:
        output = stop(worker)

    run.refresh_from_db()
    assert run.status == "succeeded", (run.failure_reason, output)
    assert [w["code"] for w in run.warnings] == ["move_held"]
    account.refresh_from_db()
    assert (account.school, account.first_name) == (primary, "Elin")
    assert HeldLearnerMove.objects.get().status == Status.OPEN
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == sorted(
        [*(c.email for c in champions), settings.HWB_TEAM_EMAIL]
    )
