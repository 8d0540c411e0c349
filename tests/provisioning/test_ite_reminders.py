"""ITE students are never moved: they are reminded, before their placement ends, to download
what they need (once per end date the MIS gives; none when it gives none)."""

from datetime import date, timedelta

import pytest
from django.core import mail

from accounts.models import AuditEntry, User
from provisioning import tasks
from provisioning.models import MisStaff, PlacementReminder
from provisioning.placements import ite_placement_reminders_send
from provisioning.services.runs import snapshot_import
from tests.provisioning.builders import snapshot, staff_record

TODAY = date(2027, 3, 1)


def provision(school, *records):
    run = snapshot_import(school=school, snapshot=snapshot(school, staff=records))
    assert run.status == run.Status.SUCCEEDED, run.errors


def ite(code, *, ends, **fields):
    return staff_record(
        code,
        role="ite_student",
        forename=fields.pop("forename", "Osian"),
        surname=fields.pop("surname", "Rowlands"),
        start_date="2026-11-02",
        leaving_date=ends.isoformat() if ends else None,
        **fields,
    )


def send(django_capture_on_commit_callbacks, today=TODAY) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return ite_placement_reminders_send(today=today)


@pytest.fixture
def students(school, settings):
    settings.HWB_ITE_REMINDER_DAYS = 14
    provision(
        school,
        ite("I001", ends=TODAY + timedelta(days=10)),
        ite("I002", ends=TODAY + timedelta(days=40), forename="Nia", surname="Hughes"),
        ite("I003", ends=None, forename="Cai", surname="Evans"),
        staff_record("T001", forename="Mererid", surname="Owen", leaving_date="2027-03-05"),
    )
    return {
        code: MisStaff.objects.get(school=school, staff_code=code).account
        for code in ("I001", "I002", "I003", "T001")
    }


def test_a_student_whose_placement_ends_within_the_window_is_reminded_once(
    students, django_capture_on_commit_callbacks
):
    assert students["I001"].kind == User.Kind.ITE_STUDENT
    assert send(django_capture_on_commit_callbacks) == 1
    (email,) = mail.outbox
    assert email.to == [students["I001"].email]
    assert "11 March 2027" in email.body
    assert "download" in email.body
    assert AuditEntry.objects.filter(
        action="ite.placement_reminder_sent", target_id=str(students["I001"].pk)
    ).exists()
    # The next day's job sends nothing again.
    assert send(django_capture_on_commit_callbacks, TODAY + timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_students_further_off_or_without_an_end_date_and_teachers_are_not_reminded(
    students, django_capture_on_commit_callbacks
):
    send(django_capture_on_commit_callbacks)
    reminded = set(PlacementReminder.objects.values_list("account_id", flat=True))
    assert reminded == {students["I001"].pk}
    # Later the second student's end date comes into the window.
    assert send(django_capture_on_commit_callbacks, TODAY + timedelta(days=27)) == 1
    assert mail.outbox[-1].to == [students["I002"].email]


def test_an_extended_placement_is_reminded_again_for_its_new_end_date(
    school, students, django_capture_on_commit_callbacks
):
    send(django_capture_on_commit_callbacks)
    provision(
        school,
        ite("I001", ends=TODAY + timedelta(days=20)),
        ite("I002", ends=TODAY + timedelta(days=40), forename="Nia", surname="Hughes"),
        ite("I003", ends=None, forename="Cai", surname="Evans"),
        staff_record("T001", forename="Mererid", surname="Owen", leaving_date="2027-03-05"),
    )
    assert send(django_capture_on_commit_callbacks, TODAY + timedelta(days=8)) == 1
    assert PlacementReminder.objects.filter(account=students["I001"]).count() == 2


def test_the_reminder_is_in_the_students_language(students, django_capture_on_commit_callbacks):
    User.objects.filter(pk=students["I001"].pk).update(preferred_language="cy")
    send(django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert "Mawrth 2027" in email.body


def test_the_beat_task_runs_the_service(students):
    # Today (the real date) is far from the placements above, so nothing is due.
    assert tasks.ite_placement_reminders_send.run() == 0
