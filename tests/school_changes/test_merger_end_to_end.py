"""A merger of three schools with 150 staff, end to end on PostgreSQL with a real Celery worker.

The closing schools and the new school are provisioned by real snapshot runs; the new school's
MIS holds its staff under name variants, with shared names and missing dates of birth (helper
lists from transfers/staff_lists.py). The officer proposes and reviews through the pages, the
Hwb team approves in the admin, and the worker (a separate process, reading Redis) moves the
accounts in batches. Emails go through the outbox to a real SMTP server. Then the move is
enqueued again: nobody moves twice.
"""

import socket
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.emails import email_enqueue
from accounts.models import AccountMove, OutboundEmail, User
from bench.staff_lists import staff_lists_generate
from provisioning.models import MisStaff
from school_changes.models import StaffMatch, StaffMatchList
from school_changes.tasks import staff_matches_move
from tests.conftest import sign_in
from tests.school_changes.merger_builders import Staff, merger_of
from tests.workers import start_worker, stop, wait_until

STAFF = 150
BATCH_SIZE = 25


class RecordingHandler:
    """An SMTP server's message handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = RecordingHandler()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    yield port, handler
    server.stop(no_assert=True)


def merger_of_150():
    """Three closing schools of 50 staff (and a governor and an ITE student), and the new
    school's MIS: most of them under their own or a varied name, and newcomers."""
    lists = staff_lists_generate(seed=2026, size=STAFF)
    people = [
        Staff(f"a{p.key}", p.forename, p.surname, p.date_of_birth, p.work_email)
        for p in lists.accounts
    ]
    closing = [people[0:50], people[50:100], people[100:150]]
    closing[0] += [
        Staff("governor", "Glenys", "Kinnock", role="governor"),
        Staff("ite", "Tomos", "Parry", role="ite_student"),
    ]
    new_staff = [
        Staff(f"r{p.key}", p.forename, p.surname, p.date_of_birth, p.work_email)
        for p in lists.records
    ]
    merger = merger_of(closing, new_staff)
    # The truth, in database ids: account -> the same person's record at the new school.
    truth = {
        merger.accounts[f"a{account}"].pk: merger.records[f"r{record}"].pk
        for account, record in lists.truth.items()
    }
    return merger, truth


def review_choices(client: Client, merger, truth: dict[int, int]) -> dict:
    """The officer's answers: the record of the same person when it is offered, else Do not
    move (they check with the schools; a name alone is never enough)."""
    match_list = StaffMatchList.objects.get(notice=merger.notice)
    page = client.get(reverse("mergers:review", args=[merger.notice.pk]))
    assert page.status_code == 200
    data = {"version": page.context["form"]["version"].value()}
    for row in match_list.matches.all():
        offered = [row.proposed_record_id] + [key for key, _score in row.alternatives]
        right = truth.get(row.account_id)
        data[f"row-{row.pk}"] = f"record-{right}" if right and right in offered else "none"
    return data


@pytest.mark.django_db(transaction=True)
def test_a_merger_of_three_schools_with_150_staff(queue, local_authorities, smtp, settings):
    port, mailbox = smtp
    merger, truth = merger_of_150()
    officer, notice = merger.officer, merger.notice
    fresh_of = {record.pk: record.account_id for record in merger.records.values()}
    hwb_team = User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )
    worker = start_worker(
        queue, EMAIL_URL=f"smtp://127.0.0.1:{port}", HWB_MERGER_BATCH_SIZE=str(BATCH_SIZE)
    )
    try:
        # The officer proposes the matches from the notice's page and is emailed.
        officer_client = sign_in(Client(), officer, reauthenticated=False)
        detail = officer_client.get(reverse("notices:detail", args=[notice.pk]))
        assert "Propose matches" in detail.content.decode()
        response = officer_client.post(reverse("mergers:propose", args=[notice.pk]))
        assert response.status_code == 302
        match_list = StaffMatchList.objects.get(notice=notice)
        rows = list(match_list.matches.all())
        assert len(rows) == STAFF  # the governor and the ITE student are not matched
        proposed_right = sum(
            1 for row in rows if row.proposed_record_id == truth.get(row.account_id)
        )
        sure = [row for row in rows if row.confidence == "sure"]
        sure_right = sum(1 for row in sure if row.proposed_record_id == truth.get(row.account_id))
        print(
            f"\n{STAFF} accounts, {len(merger.records)} records: {len(sure)} sure "
            f"({sure_right} right), proposals right or rightly none: {proposed_right}"
            + "".join(
                f", {c}: {sum(1 for r in rows if r.confidence == c)}"
                for c in ("doubtful", "clash", "none")
            )
        )
        assert sure_right == len(sure)  # a sure match is never someone else

        # Review: save part-way, then submit every row.
        answers = review_choices(officer_client, merger, truth)
        partial = dict(list(answers.items())[:40])
        response = officer_client.post(
            reverse("mergers:review", args=[notice.pk]), {**partial, "action": "save"}
        )
        assert response.status_code == 302, response.context["form"].errors
        response = officer_client.post(
            reverse("mergers:review", args=[notice.pk]),
            {**answers, "action": "submit", "confirmed": "yes"},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        match_list.refresh_from_db()
        assert match_list.status == "submitted"
        to_move = sum(1 for value in answers.values() if value.startswith("record-"))
        wait_until(lambda: mailbox.to(settings.HWB_TEAM_EMAIL), worker, "the Hwb team was emailed")

        # The Hwb team approves in the admin; the worker moves the accounts in batches.
        admin_client = Client()
        admin_client.force_login(hwb_team)
        change = reverse("admin:school_changes_staffmatchlist_change", args=[match_list.pk])
        assert "Approve and move accounts" in admin_client.get(change).content.decode()
        started = time.monotonic()
        response = admin_client.post(
            reverse("admin:school_changes_staffmatchlist_approve", args=[match_list.pk])
        )
        assert response.status_code == 302
        wait_until(
            lambda: StaffMatchList.objects.get(pk=match_list.pk).status == "completed",
            worker,
            "every account had moved",
            timeout=120,
        )
        took = time.monotonic() - started
        match_list.refresh_from_db()
        job = (match_list.finished_at - match_list.started_at).total_seconds()
        print(
            f"moved {match_list.moved} of {match_list.to_move} accounts in {took:.2f} s from "
            f"approval to completion ({job:.2f} s in the job, batches of {BATCH_SIZE})"
        )
        assert (match_list.to_move, match_list.moved, match_list.skipped) == (to_move, to_move, 0)

        # The officer's summary arrives; the progress page shows the result, refreshing no more.
        wait_until(
            lambda: any("Staff accounts moved" in m["Subject"] for m in mailbox.to(officer.email)),
            worker,
            "the officer's summary was delivered",
        )
        summary = next(m for m in mailbox.to(officer.email) if "moved" in m["Subject"])
        body = summary.get_body(preferencelist=("plain",)).get_content()
        assert f"Moved: {to_move}." in body
        assert f"Not moved, as the local authority decided: {STAFF - to_move}." in body
        result = officer_client.get(reverse("mergers:review", args=[notice.pk]))
        assert not result.has_header("Refresh")
        assert "Accounts moved" in result.content.decode()

        # Enqueued again (a redelivered task, a second click): nobody moves twice. An email
        # queued behind the tasks tells when the worker has taken them.
        moves_before = AccountMove.objects.count()
        staff_matches_move.delay(match_list.pk)
        staff_matches_move.delay(match_list.pk)
        with transaction.atomic():
            marker = email_enqueue(
                to="marker@example.org",
                template="merger_returned",
                context={"notice": notice, "note": "-", "url": "-"},
                language="en",
            )
        wait_until(
            lambda: OutboundEmail.objects.filter(pk=marker.pk, sent_at__isnull=False).exists(),
            worker,
            "the worker had taken the repeated tasks",
        )
    finally:
        output = stop(worker)

    assert AccountMove.objects.count() == moves_before == to_move, output
    match_list.refresh_from_db()
    assert (match_list.moved, match_list.job_runs) == (to_move, 1)
    assert len([m for m in mailbox.to(officer.email) if "moved" in m["Subject"]]) == 1

    # Every moved account is at the new school under its own username, and holds the new
    # school's MIS record; the fresh account the MIS had made is deactivated for deletion.
    for row in StaffMatch.objects.filter(match_list=match_list, outcome="moved"):
        account = User.objects.get(pk=row.account_id)
        assert (account.school_id, account.is_active) == (merger.new_school.pk, True)
        assert account.username == row.account_username
        assert MisStaff.objects.get(pk=row.record_id).account_id == account.pk
        fresh = User.objects.get(pk=fresh_of[row.record_id])
        assert (fresh.is_active, fresh.deactivation_reason) == (False, "replaced")
        assert fresh.deletion_due_at.year == fresh.deactivated_at.year + 1
    # Staff with no match keep the account their new school's MIS gave them.
    matched_records = set(
        StaffMatch.objects.filter(outcome="moved").values_list("record_id", flat=True)
    )
    for record_id, fresh_id in fresh_of.items():
        if record_id not in matched_records:
            assert User.objects.get(pk=fresh_id).is_active
    for key in ("governor", "ite"):
        assert User.objects.get(pk=merger.accounts[key].pk).school == merger.closing[0]
