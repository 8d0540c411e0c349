"""Staff of merging and closing schools: proposals, the officer's review, the Hwb team's return
and approval, and the move job's re-checks (skips, governors, running twice).

Three closing-school people have a record at the new school (one under a Welsh/English variant
of their forename, one without a date of birth there), one has none; two namesakes clash over
one record; a governor and an ITE student are never matched.
"""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import AccountMove, AuditEntry, User
from accounts.services import account_moves_record
from provisioning.models import MisStaff
from school_changes.models import SchoolNotice, StaffMatch, StaffMatchList
from school_changes.selectors import staff_matches as merger_selectors
from school_changes.selectors.staff_matches import list_version
from school_changes.services import staff_matches as mergers
from school_changes.services import staff_moves as merger_moves
from school_changes.services.staff_matches import MergerError
from schools.models import LocalAuthority
from tests.conftest import sign_in
from tests.school_changes.merger_builders import Staff, merger_of, new_school_of, officer_of
from tests.transfers.builders import staff_record_change

SIAN = Staff("sian", "Siân", "Jones", date(1980, 2, 11), "s.jones@llanberis.sch.cymru")
DAFYDD = Staff("dafydd", "Dafydd", "Evans", date(1975, 5, 5))
HUW = Staff("huw", "Huw", "Price", date(1985, 1, 1))
GARETH = Staff("gareth", "Gareth", "Morgan", date(1970, 1, 1))
RHYS_1 = Staff("rhys1", "Rhys", "Hughes")
RHYS_2 = Staff("rhys2", "Rhys", "Hughes")
GOVERNOR = Staff("governor", "Glenys", "Kinnock", role="governor")
ITE = Staff("ite", "Tomos", "Parry", role="ite_student")

NEW_STAFF = [
    Staff("sian", "Sian", "Jones", date(1980, 2, 11)),
    Staff("dafydd", "David", "Evans", date(1975, 5, 5)),
    Staff("huw", "Huw", "Price", None),
    Staff("rhys", "Rhys", "Hughes"),
    Staff("elin", "Elin", "Roberts", date(1990, 3, 3)),
]


@pytest.fixture
def merger(db):
    return merger_of([[SIAN, DAFYDD, GOVERNOR, ITE], [HUW, GARETH, RHYS_1, RHYS_2]], NEW_STAFF)


@pytest.fixture
def proposed(merger, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)
    return merger


@pytest.fixture
def officer_client(client, merger):
    return sign_in(client, merger.officer, reauthenticated=False)


@pytest.fixture
def hwb_team(db):
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


@pytest.fixture
def admin_client(client, hwb_team):
    client.force_login(hwb_team)
    return client


def rows(merger) -> dict[str, StaffMatch]:
    """The list's rows by person key."""
    by_account = {account.pk: key for key, account in merger.accounts.items()}
    return {
        by_account[row.account_id]: row
        for row in StaffMatch.objects.filter(match_list__notice=merger.notice)
    }


def review_url(merger) -> str:
    return reverse("mergers:review", args=[merger.notice.pk])


def choices_for(merger, **chosen) -> dict:
    """A review form's POST: each row on its current choice, with ``chosen`` (person key ->
    record key, or "none") overriding."""
    match_list = StaffMatchList.objects.get(notice=merger.notice)
    data = {"version": list_version(match_list)}
    for key, row in rows(merger).items():
        if key in chosen:
            value = chosen[key]
            data[f"row-{row.pk}"] = (
                "none" if value == "none" else f"record-{merger.records[value].pk}"
            )
        elif row.decision != StaffMatch.Decision.PENDING:
            data[f"row-{row.pk}"] = f"record-{row.record_id}" if row.record_id else "none"
    return data


def fully_decided(merger) -> dict:
    return choices_for(merger, huw="huw", rhys1="rhys", rhys2="none")


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Proposals ------------------------------------------------------------------------------


def test_every_staff_account_of_the_closing_schools_gets_a_row(proposed):
    found = rows(proposed)
    assert set(found) == {"sian", "dafydd", "huw", "gareth", "rhys1", "rhys2"}
    assert found["sian"].confidence == "sure"
    assert found["sian"].proposed_record == proposed.records["sian"]
    assert found["dafydd"].proposed_record == proposed.records["dafydd"]  # Dafydd = David
    assert found["huw"].confidence == "doubtful"  # no date of birth at the new school
    assert found["gareth"].confidence == "none"
    assert found["gareth"].proposed_record is None
    assert found["rhys1"].confidence == found["rhys2"].confidence == "clash"


def test_sure_rows_start_confirmed_none_rows_on_do_not_move_and_the_rest_undecided(proposed):
    found = rows(proposed)
    assert (found["sian"].decision, found["sian"].record) == ("confirmed", proposed.records["sian"])
    assert (found["gareth"].decision, found["gareth"].record) == ("rejected", None)
    assert found["huw"].decision == found["rhys1"].decision == "pending"
    assert found["huw"].record is None


def test_governors_and_ite_students_are_never_matched_but_listed_apart(proposed):
    accounts = StaffMatch.objects.values_list("account_id", flat=True)
    assert proposed.accounts["governor"].pk not in accounts
    assert proposed.accounts["ite"].pk not in accounts
    review = merger_selectors.match_review(notice=proposed.notice)
    assert {account.pk for account in review.never_moved} == {
        proposed.accounts["governor"].pk,
        proposed.accounts["ite"].pk,
    }


def test_the_officer_is_emailed_that_the_matches_are_ready(proposed):
    (email,) = mail.outbox
    assert email.to == [proposed.officer.email]
    assert email.subject.endswith(" / Staff matches are ready for your review")
    assert f"/local-authority/notices/{proposed.notice.pk}/staff-matches/" in email.body
    assert AuditEntry.objects.filter(action="merger.matches_proposed").count() == 1


def test_proposing_again_replaces_the_rows_while_the_list_is_with_the_officer(proposed):
    before = set(StaffMatch.objects.values_list("pk", flat=True))
    mergers.staff_matches_propose(notice=proposed.notice, actor=proposed.officer)
    after = set(StaffMatch.objects.values_list("pk", flat=True))
    assert len(after) == 6
    assert not before & after
    assert StaffMatchList.objects.count() == 1


def test_matches_wait_for_the_new_schools_first_successful_run(db):
    merger = merger_of([[SIAN]], [], provision_new=False)
    with pytest.raises(MergerError, match="has not run successfully yet"):
        mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)
    assert not StaffMatchList.objects.exists()


@pytest.mark.parametrize("status", ["received", "completed", "withdrawn"])
def test_matches_are_proposed_only_for_a_notice_in_progress(merger, status):
    SchoolNotice.objects.filter(pk=merger.notice.pk).update(status=status)
    merger.notice.refresh_from_db()
    with pytest.raises(MergerError, match="Staff can be matched once"):
        mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)


def test_a_closure_matches_staff_to_its_receiving_school(db, django_capture_on_commit_callbacks):
    closure = merger_of([[SIAN, GARETH]], NEW_STAFF[:1], kind=SchoolNotice.Kind.CLOSURE)
    mergers.staff_matches_propose(notice=closure.notice, actor=closure.officer)
    found = rows(closure)
    assert found["sian"].proposed_record == closure.records["sian"]
    assert found["gareth"].confidence == "none"


# --- The officer's review page ----------------------------------------------------------------


def test_the_review_page_shows_reasons_but_never_a_date_of_birth(officer_client, proposed):
    response = officer_client.get(review_url(proposed))
    assert response.status_code == 200
    text = page_text(response)
    assert "Staff account matches" in text
    assert "date of birth matches" in text.lower()
    assert "Do not move this account" in text
    assert proposed.records["sian"].staff_code in text
    for shown in ("1980", "11/02", "11 February", "1975"):
        assert shown not in text
    assert "Never moved: governors and ITE students" in text
    assert proposed.accounts["governor"].username in text


def test_officers_of_another_authority_find_no_such_page(client, proposed):
    stranger = officer_of(LocalAuthority.objects.get(code=681), first_name="Rhian")
    sign_in(client, stranger, reauthenticated=False)
    assert client.get(review_url(proposed)).status_code == 404
    assert client.post(review_url(proposed), fully_decided(proposed)).status_code == 404
    propose = reverse("mergers:propose", args=[proposed.notice.pk])
    assert client.post(propose).status_code == 404
    assert StaffMatchList.objects.get().status == "proposed"


def test_school_staff_find_no_such_page(client, proposed):
    client.force_login(proposed.accounts["sian"])
    assert client.get(review_url(proposed)).status_code == 404


def test_saving_keeps_the_choices_for_later(officer_client, proposed):
    response = officer_client.post(
        review_url(proposed), {**choices_for(proposed, huw="huw"), "action": "save"}
    )
    assert response.status_code == 302
    found = rows(proposed)
    assert (found["huw"].decision, found["huw"].record) == ("confirmed", proposed.records["huw"])
    assert found["rhys1"].decision == "pending"
    assert StaffMatchList.objects.get().status == "proposed"
    page = page_text(officer_client.get(review_url(proposed)))
    huw = found["huw"]
    assert f'name="row-{huw.pk}" type="radio" value="record-{huw.record_id}"' in page
    assert re.search(rf'value="record-{huw.record_id}"[^>]*checked', page)


def test_the_review_can_show_only_the_rows_still_to_choose_and_keeps_the_others(
    officer_client, proposed
):
    found = rows(proposed)
    everything = page_text(officer_client.get(review_url(proposed)))
    assert "Show only the 3 accounts still to choose for" in everything
    only = page_text(officer_client.get(review_url(proposed) + "?rows=undecided"))
    assert "Showing the 3 accounts still to choose for" in only
    sian, huw = proposed.accounts["sian"].username, proposed.accounts["huw"].username
    assert f"({huw})" in only and f"({sian})" not in only  # a sure row is not shown...
    assert f'name="row-{found["sian"].pk}" value="record-' in only  # ...but travels with it
    # Saving from the short list keeps every row's choice.
    data = {
        **choices_for(proposed, huw="huw", rhys1="rhys", rhys2="none"),
        "action": "save",
    }
    assert officer_client.post(review_url(proposed) + "?rows=undecided", data).status_code == 302
    saved = rows(proposed)
    assert saved["sian"].decision == "confirmed" and saved["huw"].decision != "pending"


def test_a_doubtful_row_says_why_instead_of_a_score(officer_client, proposed):
    text = page_text(officer_client.get(review_url(proposed)))
    huw = proposed.accounts["huw"].username
    row = text[text.index(f"({huw})") :]
    row = row[: row.index("</fieldset>")]
    assert "Doubtful</strong> A person must look: date of birth missing, only the name" in row
    assert "What agrees: name matches." in row
    assert "out of 100" not in row


def test_submit_refuses_a_doubtful_row_nobody_chose(officer_client, proposed):
    data = {**choices_for(proposed, rhys1="rhys", rhys2="none"), "action": "submit"}
    response = officer_client.post(review_url(proposed), data)
    assert response.status_code == 400
    text = page_text(response)
    assert "<title>Error: Staff account matches" in text
    username = proposed.accounts["huw"].username
    assert f"Choose a staff record for {username}, or Do not move this account" in text
    assert StaffMatchList.objects.get().status == "proposed"
    assert rows(proposed)["rhys1"].decision == "pending"  # nothing saved


def test_submit_refuses_one_record_for_two_accounts_naming_both(officer_client, proposed):
    data = {**choices_for(proposed, huw="huw", rhys1="rhys", rhys2="rhys"), "action": "submit"}
    response = officer_client.post(review_url(proposed), data)
    assert response.status_code == 400
    text = page_text(response)
    first, second = (proposed.accounts[key].username for key in ("rhys1", "rhys2"))
    assert re.search(rf"({first} and {second}|{second} and {first}) are both matched to", text)
    assert StaffMatchList.objects.get().status == "proposed"


def test_the_service_refuses_one_record_for_two_accounts_too(proposed):
    found = rows(proposed)
    record = proposed.records["rhys"].pk
    match_list = StaffMatchList.objects.get()
    choices = {row.pk: row.record_id for row in found.values() if row.decision != "pending"}
    choices |= {found["huw"].pk: proposed.records["huw"].pk}
    choices |= {found["rhys1"].pk: record, found["rhys2"].pk: record}
    with pytest.raises(MergerError, match="both matched to the same staff record"):
        mergers.staff_matches_review(
            match_list_id=match_list.pk,
            officer=proposed.officer,
            version=list_version(match_list),
            choices=choices,
            submit=True,
        )


def test_a_tampered_record_id_is_refused_and_nothing_saved(officer_client, proposed):
    gareth = rows(proposed)["gareth"]
    newcomer = proposed.records["elin"]  # never offered for Gareth
    data = {**fully_decided(proposed), f"row-{gareth.pk}": f"record-{newcomer.pk}"}
    response = officer_client.post(review_url(proposed), {**data, "action": "submit"})
    assert response.status_code == 400
    assert "That staff record was not offered for this account" in page_text(response)
    assert StaffMatchList.objects.get().status == "proposed"
    # The service says no on its own, whatever a form lets through.
    match_list = StaffMatchList.objects.get()
    with pytest.raises(MergerError, match="was not offered"):
        mergers.staff_matches_review(
            match_list_id=match_list.pk,
            officer=proposed.officer,
            version=list_version(match_list),
            choices={gareth.pk: newcomer.pk},
            submit=False,
        )
    assert rows(proposed)["gareth"].record is None


def test_a_form_from_before_a_new_proposal_is_refused(officer_client, proposed):
    old_form = {**fully_decided(proposed), "action": "submit"}
    mergers.staff_matches_propose(notice=proposed.notice, actor=proposed.officer)
    response = officer_client.post(review_url(proposed), old_form)
    assert response.status_code == 409
    assert "The matches were proposed again after you opened this page" in page_text(response)
    assert StaffMatchList.objects.get().status == "proposed"
    assert rows(proposed)["huw"].decision == "pending"


def test_submitting_sends_the_list_to_the_hwb_team(
    officer_client, proposed, settings, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    # Submit first shows what submitting does, and changes nothing.
    asked = officer_client.post(
        review_url(proposed), {**fully_decided(proposed), "action": "submit"}
    )
    text = page_text(asked)
    assert asked.status_code == 200 and "Submit the staff account matches?" in text
    assert "4 accounts move, with their usernames" in text
    assert "2 accounts do not move" in text
    assert StaffMatchList.objects.get().status == "proposed" and not mail.outbox
    # Going back keeps the choices, unsaved.
    back = officer_client.post(
        review_url(proposed), {**fully_decided(proposed), "action": "change", "confirmed": "yes"}
    )
    huw = rows(proposed)["huw"]
    assert re.search(rf'value="record-{proposed.records["huw"].pk}"[^>]*checked', page_text(back))
    assert huw.decision == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            review_url(proposed),
            {**fully_decided(proposed), "action": "submit", "confirmed": "yes"},
        )
    assert response.status_code == 302
    match_list = StaffMatchList.objects.get()
    assert match_list.status == "submitted"
    assert match_list.submitted_by == proposed.officer
    found = rows(proposed)
    assert (found["rhys1"].decision, found["rhys2"].decision) == ("confirmed", "rejected")
    (email,) = mail.outbox
    assert email.to == [settings.HWB_TEAM_EMAIL]
    assert "4 accounts will move when you approve the list" in email.body
    text = page_text(officer_client.get(review_url(proposed)))
    assert "Waiting for the Hwb team" in text
    # A second click changes nothing.
    again = officer_client.post(
        review_url(proposed), {**fully_decided(proposed), "action": "submit", "confirmed": "yes"}
    )
    assert again.status_code == 302
    assert StaffMatchList.objects.get().submitted_at == match_list.submitted_at


def test_the_review_page_costs_the_same_queries_for_10_and_100_rows(client, db):
    def queries_for(size: int) -> int:
        people = [Staff(f"p{n}", "Aled", f"Surname{n:03d}", date(1980, 1, 1)) for n in range(size)]
        merger = merger_of(
            [people], [Staff(f"p{n}", "Aled", f"Surname{n:03d}") for n in range(size)]
        )
        mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)
        client.logout()
        sign_in(client, merger.officer, reauthenticated=False)
        url = review_url(merger)
        client.get(url)  # warm: session, content types, translations
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('class="govuk-fieldset"') == size
        return len(queries)

    assert queries_for(10) == queries_for(100)


def test_the_notice_page_panel_leads_to_the_review(officer_client, proposed):
    response = officer_client.get(reverse("notices:detail", args=[proposed.notice.pk]))
    assert response.status_code == 200
    text = page_text(response)
    assert "Staff account matches" in text
    assert review_url(proposed) in text


def test_the_officers_landing_page_and_notice_list_say_the_matches_wait_for_them(
    officer_client, proposed
):
    number = proposed.notice.pk
    waiting = f"Review staff matches: Merger (notice {number}), 1 September 2026"
    for url in ("/", reverse("notices:list")):
        text = page_text(officer_client.get(url))
        assert "Needs your action" in text and waiting in text
        assert f'href="{review_url(proposed)}"' in text
    # Submitted: nothing waits for the officer any more.
    mergers.staff_matches_review(
        match_list_id=StaffMatchList.objects.get().pk,
        officer=proposed.officer,
        version=list_version(StaffMatchList.objects.get()),
        choices={
            row.pk: (row.record_id if row.decision != "pending" else None)
            for row in rows(proposed).values()
        },
        submit=True,
    )
    assert "Needs your action" not in page_text(officer_client.get("/"))


def test_the_notice_timeline_tells_the_matching_steps_in_words(officer_client, proposed):
    text = page_text(officer_client.get(reverse("notices:detail", args=[proposed.notice.pk])))
    assert "Staff account matches proposed" in text
    assert "matches_proposed" not in text


# --- The Hwb team: return and approve ---------------------------------------------------------


@pytest.fixture
def submitted(proposed, django_capture_on_commit_callbacks):
    match_list = StaffMatchList.objects.get()
    found = rows(proposed)
    choices = {row.pk: row.record_id for row in found.values()}
    choices |= {found["huw"].pk: proposed.records["huw"].pk}
    choices |= {found["rhys1"].pk: proposed.records["rhys"].pk, found["rhys2"].pk: None}
    with django_capture_on_commit_callbacks(execute=True):
        mergers.staff_matches_review(
            match_list_id=match_list.pk,
            officer=proposed.officer,
            version=list_version(match_list),
            choices=choices,
            submit=True,
        )
    mail.outbox.clear()
    return proposed


def admin_change(match_list) -> str:
    return reverse("admin:school_changes_staffmatchlist_change", args=[match_list.pk])


def test_the_admin_shows_the_rows_and_the_buttons_for_a_submitted_list(admin_client, submitted):
    match_list = StaffMatchList.objects.get()
    text = page_text(admin_client.get(admin_change(match_list)))
    assert "Approve and move accounts" in text
    assert "Return to the local authority" in text
    assert submitted.accounts["sian"].username in text


def test_the_hwb_team_returns_a_list_with_a_note(
    admin_client, submitted, django_capture_on_commit_callbacks
):
    match_list = StaffMatchList.objects.get()
    url = reverse("admin:school_changes_staffmatchlist_return", args=[match_list.pk])
    assert admin_client.get(url).status_code == 200
    empty = admin_client.post(url, {"note": "   "})
    assert empty.status_code == 200
    assert StaffMatchList.objects.get().status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"note": "Rhys Hughes at Ysgol Cau is the teacher."})
    assert response.status_code == 302
    match_list.refresh_from_db()
    assert (match_list.status, match_list.hwb_note) == (
        "proposed",
        "Rhys Hughes at Ysgol Cau is the teacher.",
    )
    (email,) = mail.outbox
    assert email.to == [submitted.officer.email]
    assert "Rhys Hughes at Ysgol Cau is the teacher." in email.body
    admin_client.logout()
    sign_in(admin_client, submitted.officer, reauthenticated=False)
    text = page_text(admin_client.get(review_url(submitted)))
    assert "The Hwb team returned this list" in text
    assert "Submit to the Hwb team" in text


def test_approval_moves_the_confirmed_accounts(
    admin_client, submitted, hwb_team, django_capture_on_commit_callbacks
):
    match_list = StaffMatchList.objects.get()
    url = reverse("admin:school_changes_staffmatchlist_approve", args=[match_list.pk])
    # Before approval, the list says how many accounts would move; the row names no ids.
    listing = page_text(admin_client.get(reverse("admin:school_changes_staffmatchlist_changelist")))
    assert re.search(r'class="field-will_move">4</td>', listing)
    assert f"Merger (notice {submitted.notice.pk}), 1 September 2026" in listing
    assert not re.search(r"#\d+ \(", listing)
    # The button leads to a confirmation first: what moves, and when; nothing changes yet.
    confirm = page_text(admin_client.get(url))
    assert "4 accounts move to their new school" in confirm
    assert "date has come: they move as soon as you approve." in confirm
    assert StaffMatchList.objects.get().status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly
        response = admin_client.post(url)
    assert response.status_code == 302
    match_list.refresh_from_db()
    assert (match_list.status, match_list.to_move, match_list.moved) == ("completed", 4, 4)
    assert match_list.approved_by == hwb_team
    for key, record_key in [
        ("sian", "sian"),
        ("dafydd", "dafydd"),
        ("huw", "huw"),
        ("rhys1", "rhys"),
    ]:
        account = User.objects.get(pk=submitted.accounts[key].pk)
        assert (account.school, account.is_active) == (submitted.new_school, True)
        assert account.username == submitted.accounts[key].username
        assert MisStaff.objects.get(pk=submitted.records[record_key].pk).account == account
    for key in ("gareth", "rhys2", "governor", "ite"):
        assert User.objects.get(pk=submitted.accounts[key].pk).school_id != (
            submitted.new_school.pk
        )
    assert AccountMove.objects.filter(reason="merger").count() == 4
    officer_email = next(m for m in mail.outbox if m.to == [submitted.officer.email])
    assert officer_email.subject.endswith(
        " / Staff accounts moved: 4 accounts moved to the new school"
    )
    assert "Not moved, as the local authority decided: 2." in officer_email.body


def test_an_approval_while_redis_is_down_is_kept_and_the_move_can_be_queued_again(
    admin_client, submitted, broker_down, django_capture_on_commit_callbacks
):
    match_list = StaffMatchList.objects.get()
    url = reverse("admin:school_changes_staffmatchlist_approve", args=[match_list.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    assert response.status_code == 302
    match_list.refresh_from_db()
    assert (match_list.status, match_list.moved) == ("approved", 0)
    assert "Run the move job again" in page_text(admin_client.get(admin_change(match_list)))


def test_the_fresh_accounts_are_deactivated_for_deletion(submitted, hwb_team):
    fresh = {
        key: User.objects.get(pk=submitted.records[key].account_id) for key in ("sian", "elin")
    }
    match_list = StaffMatchList.objects.get()
    mergers.staff_match_list_approve(match_list_id=match_list.pk, actor=hwb_team)
    merger_moves.staff_matches_move(match_list_id=match_list.pk)
    replaced = User.objects.get(pk=fresh["sian"].pk)
    assert (replaced.is_active, replaced.deactivation_reason) == (False, "replaced")
    assert replaced.deletion_due_at is not None
    assert User.objects.get(pk=fresh["elin"].pk).is_active  # a newcomer keeps their account


def test_a_merger_still_to_come_moves_its_staff_on_its_date_not_at_approval(
    admin_client, submitted, hwb_team, django_capture_on_commit_callbacks
):
    """The schools stay open until the merger: approving early detaches nobody from them."""
    notice = submitted.notice
    notice.effective_date = date.today() + timedelta(days=74)
    notice.save(update_fields=["effective_date"])
    match_list = StaffMatchList.objects.get()
    url = reverse("admin:school_changes_staffmatchlist_approve", args=[match_list.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url)
    match_list.refresh_from_db()
    assert (match_list.status, match_list.move_on, match_list.moved) == (
        "approved",
        notice.effective_date,
        0,
    )
    sian = User.objects.get(pk=submitted.accounts["sian"].pk)
    assert sian.school_id != submitted.new_school.pk
    when = f"{notice.effective_date.day} {notice.effective_date:%B %Y}"
    admin_text = page_text(admin_client.get(admin_change(match_list)))
    assert f"Approved: 4 accounts move on {when}" in admin_text
    assert "Run the move job again" not in admin_text
    with pytest.raises(MergerError, match="the daily job moves them then"):
        mergers.staff_matches_move_again(match_list_id=match_list.pk, actor=hwb_team)
    # A stray task before the date moves nobody; nor does the daily job the day before.
    merger_moves.staff_matches_move(match_list_id=match_list.pk)
    day_before = notice.effective_date - timedelta(days=1)
    assert mergers.staff_matches_move_due(today=day_before) == []
    assert User.objects.get(pk=sian.pk).school_id != submitted.new_school.pk
    # The officer's page says when it will happen.
    admin_client.logout()
    sign_in(admin_client, submitted.officer, reauthenticated=False)
    response = admin_client.get(review_url(submitted))
    assert "Refresh" not in response
    text = page_text(response)
    assert f"Approved: accounts move on {when}" in text
    assert f"4 accounts will move on {when}, the notice's date." in text
    # The day comes (the calendar moved to it) and the daily job moves them (eagerly here).
    StaffMatchList.objects.filter(pk=match_list.pk).update(move_on=date.today())
    assert mergers.staff_matches_move_due() == [match_list.pk]
    match_list.refresh_from_db()
    assert (match_list.status, match_list.moved) == ("completed", 4)
    assert User.objects.get(pk=sian.pk).school_id == submitted.new_school.pk


def test_only_a_submitted_list_is_approved(proposed, hwb_team):
    match_list = StaffMatchList.objects.get()
    with pytest.raises(MergerError, match="Only a submitted list can be approved"):
        mergers.staff_match_list_approve(match_list_id=match_list.pk, actor=hwb_team)


# --- The move job's re-checks -------------------------------------------------------------------


@pytest.fixture
def approved(submitted, hwb_team, django_capture_on_commit_callbacks):
    """Approved, the move task not yet run."""
    with django_capture_on_commit_callbacks(execute=False):
        mergers.staff_match_list_approve(
            match_list_id=StaffMatchList.objects.get().pk, actor=hwb_team
        )
    return submitted


def test_an_account_moved_meanwhile_is_skipped_with_its_reason(approved, db):
    elsewhere = new_school_of(approved.notice.local_authority, name="Ysgol Arall")
    sian = approved.accounts["sian"]
    account_moves_record(
        moves=[(sian.pk, sian.school_id, elsewhere.pk, {})], reason="transfer", actor=None
    )
    match_list = merger_moves.staff_matches_move(match_list_id=StaffMatchList.objects.get().pk)
    assert (match_list.status, match_list.moved, match_list.skipped) == ("completed", 3, 1)
    row = rows(approved)["sian"]
    assert row.outcome == "skipped"
    assert row.skip_reason_text == (
        f"The account is no longer at {row.from_school.name}: it was moved or changed meanwhile."
    )
    assert User.objects.get(pk=sian.pk).school == elsewhere


def test_a_record_that_left_the_new_schools_mis_is_skipped(approved):
    # The new school's next run gives Huw a leaving date: he is not coming after all.
    staff_record_change(
        approved.new_school, approved.fresh_account("huw"), leaving_date="2025-07-18"
    )
    merger_moves.staff_matches_move(match_list_id=StaffMatchList.objects.get().pk)
    row = rows(approved)["huw"]
    assert (row.outcome, row.skip_reason_text) == (
        "skipped",
        "The new school's MIS now shows the chosen staff record as a leaver.",
    )
    assert User.objects.get(pk=approved.accounts["huw"].pk).school in approved.closing


def test_a_governor_is_never_moved_even_if_a_row_names_one(approved):
    match_list = StaffMatchList.objects.get()
    governor = approved.accounts["governor"]
    record = approved.records["elin"]
    StaffMatch.objects.create(  # a row nobody should be able to make: the job still says no
        match_list=match_list,
        account=governor,
        account_username=governor.username,
        from_school=governor.school,
        proposed_record=record,
        record=record,
        confidence="sure",
        decision="confirmed",
    )
    merger_moves.staff_matches_move(match_list_id=match_list.pk)
    row = StaffMatch.objects.get(account=governor)
    assert (row.outcome, row.skip_reason_text) == (
        "skipped",
        "It is not possible to move governor accounts.",
    )
    assert User.objects.get(pk=governor.pk).school == governor.school
    assert MisStaff.objects.get(pk=record.pk).account_id == record.account_id
    # Stored as a reason code, so a Welsh-speaking officer reads it in Welsh.
    with translation.override("cy"):
        assert row.skip_reason_text == "Nid oes modd symud cyfrifon llywodraethwyr."


def test_running_the_job_again_moves_nobody_twice(approved):
    match_list_id = StaffMatchList.objects.get().pk
    merger_moves.staff_matches_move(match_list_id=match_list_id)
    moves = AccountMove.objects.count()
    emails = len(mail.outbox)
    again = merger_moves.staff_matches_move(match_list_id=match_list_id)
    assert AccountMove.objects.count() == moves == 4
    assert (again.status, again.moved, again.job_runs) == ("completed", 4, 1)
    assert len(mail.outbox) == emails


def test_the_job_works_in_batches_and_resumes_where_it_stopped(approved, settings):
    settings.HWB_MERGER_BATCH_SIZE = 1
    match_list_id = StaffMatchList.objects.get().pk
    assert merger_moves._move_batch(match_list_id, 1) == 1  # a worker that stopped after one batch
    assert StaffMatchList.objects.get().moved == 1
    match_list = merger_moves.staff_matches_move(match_list_id=match_list_id)
    assert (match_list.status, match_list.moved) == ("completed", 4)
    assert AccountMove.objects.count() == 4


def test_the_progress_region_updates_in_place_and_the_page_never_reloads(client, approved):
    sign_in(client, approved.officer, reauthenticated=False)
    response = client.get(review_url(approved))
    assert not response.has_header("Refresh")  # WCAG 2.2.2: no reload on a timer
    body = response.content.decode()
    assert 'id="move-progress" data-hwb-poll="5"' in body and "status-poll.mjs" in body
    assert "0 of 4 accounts done so far" in page_text(response)
    merger_moves.staff_matches_move(match_list_id=StaffMatchList.objects.get().pk)
    response = client.get(review_url(approved))
    assert 'id="move-progress"' not in response.content.decode()  # the poller stops here
    assert "Accounts moved" in page_text(response)


def test_the_hwb_team_proposes_matches_from_the_notices_list(admin_client, merger):
    response = admin_client.post(
        reverse("admin:school_changes_schoolnotice_changelist"),
        {"action": "notice_staff_matches_propose", "_selected_action": [merger.notice.pk]},
    )
    assert response.status_code == 302
    match_list = StaffMatchList.objects.get(notice=merger.notice)
    assert match_list.matches.count() == 6
    entry = AuditEntry.objects.get(action="merger.matches_proposed")
    assert entry.actor_username == "hwbadmin"


def test_the_hwb_team_proposes_again_from_the_list_page_until_it_is_submitted(
    admin_client, submitted
):
    match_list = StaffMatchList.objects.get()
    before = set(match_list.matches.values_list("pk", flat=True))
    url = reverse("admin:school_changes_staffmatchlist_propose", args=[submitted.notice.pk])
    response = admin_client.post(url, follow=True)
    assert "The matches have been submitted already" in page_text(response)
    assert set(match_list.matches.values_list("pk", flat=True)) == before


def test_a_stopped_move_is_queued_again_from_the_admin_and_finishes(
    admin_client, approved, django_capture_on_commit_callbacks
):
    match_list = StaffMatchList.objects.get()
    assert "Run the move job again" in page_text(admin_client.get(admin_change(match_list)))
    merger_moves._move_batch(match_list.pk, 2)  # the worker stopped after one batch of two
    url = reverse("admin:school_changes_staffmatchlist_move_again", args=[match_list.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url).status_code == 302
    match_list.refresh_from_db()
    assert (match_list.status, match_list.moved) == ("completed", 4)
    assert AccountMove.objects.count() == 4


def test_the_review_page_needs_a_signed_in_officer(client, proposed):
    response = client.get(review_url(proposed))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_admin_lists_open_with_rows(admin_client, submitted):
    for name in (
        "school_changes_staffmatchlist_changelist",
        "school_changes_staffmatch_changelist",
    ):
        response = admin_client.get(reverse(f"admin:{name}"))
        assert response.status_code == 200
        assert submitted.accounts["huw"].username in page_text(response) or (
            name == "school_changes_staffmatchlist_changelist"
        )
