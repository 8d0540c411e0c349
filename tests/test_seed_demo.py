"""The demo data a newcomer gets from scripts/run: provisioned through the real services."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountMove, SchoolRole, User
from hwb_portal.management.commands._demo_second_factor import DEMO_TOTP_KEY
from provisioning.models import ClientToken, ProvisioningRun


def test_seed_demo_provisions_four_schools_and_is_safe_to_repeat(db, capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = User.objects.count(), SchoolRole.objects.count(), ProvisioningRun.objects.count()
    call_command("seed_demo")
    assert (User.objects.count(), SchoolRole.objects.count(), ProvisioningRun.objects.count()) == (
        counts
    )
    assert "prysd *" in first and "Hwb-Demo-2026" in first
    assert {u.school.local_authority_id for u in User.objects.filter(kind="staff")} == {661, 681}
    four = ["6612001", "6614002", "6812003", "6814004"]
    assert SchoolRole.objects.filter(role="headteacher", school__dfes_number__in=four).count() == 4
    assert User.objects.get(username="prysd").check_password("Hwb-Demo-2026")
    assert User.objects.filter(kind="governor", school__dfes_number__in=four).count() == 4


def test_run_again_the_demo_says_where_its_journeys_stand_now(transactional_db, capsys, settings):
    """Run as scripts/run runs it (no test transaction: --reset empties the tables)."""
    from transfers.models import TransferRequest
    from transfers.services import transfer_decide, transfer_proceed, transfer_request_submit

    settings.HWB_PORTAL_URL = "http://127.0.0.1:8123"
    call_command("seed_demo", "--reset")  # the authorities back, whatever ran before
    first = capsys.readouterr().out
    assert "Sign in at http://127.0.0.1:8123" in first
    assert "give DfES number 6612001 and username joness" in first
    assert "Cardiff, DfES 6812003" in first
    assert "was here already" not in first and "The database was emptied" in first
    new = User.objects.get(username="joness2")
    request = transfer_request_submit(
        requester=new,
        previous_dfes="6612001",
        previous_username="joness",
        message="Please let me keep my account.",
        headteacher_confirmed=True,
    )
    call_command("seed_demo")
    waiting = capsys.readouterr().out
    assert "was here already and has not been changed" in waiting
    assert "waiting for its headteacher ellisg" in waiting
    assert "give DfES number" not in waiting
    transfer_decide(
        request_id=request.pk, decider=User.objects.get(username="ellisg"), approve=True
    )
    transfer_proceed(request_id=request.pk, requester=new)
    assert TransferRequest.objects.get().status == "completed"
    call_command("seed_demo")
    done = capsys.readouterr().out
    assert "Siân Jones moved her account joness to Brynrefail" in done
    assert "joness2 is closed" in done
    # --reset starts afresh: the first run's story again, the journey undone.
    call_command("seed_demo", "--reset")
    fresh = capsys.readouterr().out
    assert "give DfES number 6612001 and username joness" in fresh
    assert not TransferRequest.objects.exists()
    assert User.objects.get(username="joness").school.dfes_number == "6612001"


def test_reset_is_refused_outside_the_local_settings(db, settings):
    settings.HWB_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="--reset empties the database"):
        call_command("seed_demo", "--reset", "--i-know-this-is-not-production")


def test_the_demo_shows_a_learner_move_and_a_run_with_errors(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    move = AccountMove.objects.get()
    assert (move.from_school.dfes_number, move.to_school.dfes_number) == ("6612001", "6614002")
    runs = ProvisioningRun.objects.filter(school__dfes_number="6612001").order_by("pk")
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert [e["code"] for e in runs[1].errors] == ["invalid_check_letter"]
    assert [w["code"] for w in runs[1].warnings] == ["temporary_upn"]
    # Two for the client demo, one for the merged school the Hwb team set up.
    assert ClientToken.objects.filter(revoked_at__isnull=True).count() == 3
    assert out.count("Provisioning Client token for") == 3


def test_the_demo_merger_goes_from_review_to_moved_accounts(db, django_capture_on_commit_callbacks):
    """What the README tells a newcomer to do, through the same services the pages call."""
    from school_changes.models import SchoolNotice, StaffMatch, StaffMatchList
    from school_changes.selectors.staff_matches import list_version
    from school_changes.services import staff_matches as mergers

    call_command("seed_demo")
    officer = User.objects.get(username="lewism")
    assert officer.check_password("Hwb-Demo-2026")
    notice = SchoolNotice.objects.get(kind="merger")
    match_list = notice.match_list
    rows = list(StaffMatch.objects.filter(match_list=match_list))
    assert {row.confidence for row in rows} == {"sure", "doubtful", "none"}
    choices = {row.pk: row.proposed_record_id for row in rows}
    with django_capture_on_commit_callbacks(execute=True):
        mergers.staff_matches_review(
            match_list_id=match_list.pk,
            officer=officer,
            version=list_version(match_list),
            choices=choices,
            submit=True,
        )
        mergers.staff_match_list_approve(
            match_list_id=match_list.pk, actor=User.objects.get(username="hwbadmin")
        )
    # The merger is on 15 February 2027: approval schedules the move for that day.
    match_list.refresh_from_db()
    assert (match_list.status, match_list.move_on) == ("approved", notice.effective_date)
    assert User.objects.get(username="pritchardg").school != notice.school
    # The day comes (the calendar moved to it): the daily job moves them.
    StaffMatchList.objects.filter(pk=match_list.pk).update(move_on=date.today())
    mergers.staff_matches_move_due()
    match_list.refresh_from_db()
    assert match_list.status == "completed"
    assert match_list.moved == sum(1 for record in choices.values() if record)
    moved = User.objects.get(username="pritchardg")
    assert moved.school == notice.school and moved.is_active
    assert not User.objects.get(username="pritchardg2").is_active
    # The teacher who retires keeps her own school's account; the governor is never moved.
    assert User.objects.get(username="jenkinsm").school.dfes_number == "6612022"
    assert User.objects.get(username="parryi").school.dfes_number == "6612020"


def test_the_demo_teacher_of_a_new_school_may_ask_the_service_desk(db):
    from service_desk.selectors import may_ask_service_desk
    from service_desk.services import service_desk_request_raise

    call_command("seed_demo")
    new = User.objects.get(username="morrisi2")
    assert may_ask_service_desk(new)
    request = service_desk_request_raise(
        requester=new,
        raised_by=new,
        previous_dfes="6812003",
        previous_username="morrisi",
        note="",
    )
    assert request.previous_account.username == "morrisi"


def test_demo_accounts_that_need_two_step_verification_share_the_published_key(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    keys = {d.user.username: d.bin_key for d in TOTPDevice.objects.select_related("user")}
    for username in ["prysd", "ellisg", "lewism", "hwbadmin"]:
        assert keys[username] == DEMO_TOTP_KEY, username
    assert "joness" not in keys  # a teacher without a role is not asked
    assert "HWBD EMO2 FAKE YFOR THED EMOO NLY2 3456" in out
    assert "demo_code USERNAME" in out


def test_demo_code_prints_a_code_the_sign_in_accepts_and_only_in_local_mode(
    db, client, capsys, settings
):
    call_command("seed_demo")
    capsys.readouterr()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with the local settings"):
        call_command("demo_code", "prysd")
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no authenticator app with the demo key"):
        call_command("demo_code", "joness")
    call_command("demo_code", "prysd")
    code = capsys.readouterr().out.split("Code for prysd: ")[1][:6]
    client.post("/sign-in/", {"username": "prysd", "password": "Hwb-Demo-2026"})
    assert client.post("/second-factor/", {"code": code}).url == "/"
    assert client.get("/").status_code == 200
