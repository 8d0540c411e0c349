"""The email outbox: written with the change it reports, in its reader's language, sent once."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse

from accounts import tasks
from accounts.emails import MAX_ATTEMPTS, email_deliver, email_enqueue
from accounts.models import OutboundEmail, User
from provisioning.models import ProvisioningRun

FAILING_BACKEND = "tests.accounts.test_emails.DisconnectingBackend"


class DisconnectingBackend(BaseEmailBackend):
    """The outside world failing: an SMTP server that hangs up on every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def held_run(school):
    return ProvisioningRun.objects.create(
        school=school,
        status=ProvisioningRun.Status.HELD,
        extracted_at=datetime(2025, 11, 3, 6, 0, tzinfo=UTC),
        received_at=datetime(2025, 11, 3, 6, 5, tzinfo=UTC),
        failure_reason="The snapshot is empty.",
    )


def _enqueue_held(run, *, language="en", to="champion@example.org"):
    return email_enqueue(
        to=to,
        template="provisioning_run_held",
        context={
            "school": run.school,
            "run": run,
            "reason": run.failure_reason,
            "admin_url": "https://hwb.example/admin/provisioning/provisioningrun/1/change/",
        },
        language=language,
    )


def _enqueue_conflict(school, other_school, *, count, language="en"):
    return email_enqueue(
        to="champion@example.org",
        template="learner_roll_conflict",
        context={
            "school": school,
            "other_school": other_school,
            "count": count,
            "page_url": "https://hwb.example/provisioning/",
        },
        language=language,
    )


def test_a_held_snapshot_email_says_what_happened_in_english(held_run):
    email = _enqueue_held(held_run)
    assert email.language == "en"
    assert email.subject == "Snapshot from Llanberis Primary School (6612001) held for review"
    assert "\n" not in email.subject
    assert (
        "A snapshot from Llanberis Primary School (6612001) was held for review: "
        "The snapshot is empty." in email.body_text
    )
    assert "Nothing has been applied. The Hwb team will apply or discard it." in email.body_text
    assert "3 November 2025" in email.body_text
    assert "https://hwb.example/admin/provisioning/provisioningrun/1/change/" in email.body_text
    assert '<html lang="en">' in email.body_html
    assert 'href="https://hwb.example/admin/provisioning/provisioningrun/1/change/"' in (
        email.body_html
    )


def test_a_welsh_reader_gets_the_email_in_welsh(held_run):
    email = _enqueue_held(held_run, language="cy")
    assert email.language == "cy"
    assert "Ysgol Gynradd Llanberis" in email.subject
    assert "Ysgol Gynradd Llanberis" in email.body_text
    assert "Llanberis Primary School" not in email.body_text
    assert "3 Tachwedd 2025" in email.body_text
    assert '<html lang="cy">' in email.body_html


def test_someone_whose_language_is_unknown_gets_both_welsh_first(held_run):
    email = _enqueue_held(held_run, language="")
    assert email.language == "cy,en"
    assert email.subject.index("Ysgol Gynradd Llanberis") < email.subject.index(
        "Llanberis Primary School"
    )
    assert email.body_text.index("Ysgol Gynradd Llanberis") < email.body_text.index(
        "Llanberis Primary School"
    )
    html = email.body_html
    assert '<html lang="cy">' in html
    assert html.index('<div lang="cy">') < html.index('<div lang="en">')


def test_a_bilingual_email_is_welsh_first_even_for_an_english_reader(held_run):
    email = email_enqueue(
        to="someone@example.org",
        template="provisioning_run_held",
        context={"school": held_run.school, "run": held_run, "reason": "Empty.", "admin_url": ""},
        language="en",
        bilingual=True,
    )
    assert email.language == "cy,en"
    assert email.body_text.index("Ysgol Gynradd") < email.body_text.index("Llanberis Primary")
    assert email_deliver(email_id=email.pk)
    from django.core import mail

    assert mail.outbox[-1].extra_headers["Content-Language"] == "cy, en"


def test_the_champions_email_without_an_admin_link_has_none(held_run):
    email = email_enqueue(
        to="champion@example.org",
        template="provisioning_run_held",
        context={"school": held_run.school, "run": held_run, "reason": "Empty.", "admin_url": ""},
        language="en",
    )
    assert "Review the run in the Hwb admin" not in email.body_text
    assert "<a " not in email.body_html


def test_names_are_escaped_in_html_and_plain_in_text(school, held_run):
    school.name_en = "St Mary's & St Peter's"
    school.save()
    email = _enqueue_held(held_run)
    assert "St Mary's & St Peter's" in email.subject
    assert "St Mary's & St Peter's" in email.body_text
    assert "St Mary&#x27;s &amp; St Peter&#x27;s" in email.body_html


def test_a_roll_conflict_email_counts_the_learners(school, other_school):
    one = _enqueue_conflict(school, other_school, count=1)
    assert one.subject == "A learner is on roll at Glantaf Secondary School too"
    assert (
        "1 learner on roll at Llanberis Primary School is also on roll at "
        "Glantaf Secondary School (6814004)." in one.body_text
    )
    several = _enqueue_conflict(school, other_school, count=3)
    assert several.subject == "3 learners are on roll at Glantaf Secondary School too"
    assert "until one school records a leaving date in its MIS" in several.body_text
    assert "https://hwb.example/provisioning/" in several.body_text
    welsh = _enqueue_conflict(school, other_school, count=3, language="cy")
    assert "Ysgol Uwchradd Glantaf" in welsh.subject
    assert '<html lang="cy">' in welsh.body_html


def test_a_committed_email_is_sent_once_with_text_and_html(
    held_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = _enqueue_held(held_run, to="dafydd@example.org")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dafydd@example.org"]
    assert message.subject == email.subject
    assert message.body == email.body_text
    assert message.alternatives[0].content == email.body_html
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    email.refresh_from_db()
    assert email.sent_at is not None
    assert email.attempts == 1


def test_a_rolled_back_change_sends_nothing(held_run, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _enqueue_held(held_run)
        raise RuntimeError("the change failed after the email was written")
    assert callbacks == []
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_delivering_twice_sends_once(held_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = _enqueue_held(held_run)
    assert email_deliver(email_id=email.pk) is False
    tasks.email_deliver.delay(email.pk)
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_an_smtp_failure_is_recorded_and_a_later_delivery_sends_it(held_run, settings):
    email = _enqueue_held(held_run)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    with pytest.raises(smtplib.SMTPServerDisconnected):
        email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error
    assert mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_deliver(email_id=email.pk) is True
    email.refresh_from_db()
    assert email.sent_at is not None
    assert email.attempts == 2
    assert email.last_error == ""
    assert len(mail.outbox) == 1


def test_the_delivery_task_asks_celery_to_retry_an_smtp_failure(held_run, settings):
    email = _enqueue_held(held_run)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    with pytest.raises(Retry):
        tasks.email_deliver.delay(email.pk)
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 1


def test_a_failure_after_commit_does_not_fail_the_change(
    held_run, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        email = _enqueue_held(held_run)
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 1


def test_stragglers_are_sent_again_once_ten_minutes_old(held_run):
    # Written, but its delivery task never ran (the test's transaction never commits).
    straggler = _enqueue_held(held_run, to="straggler@example.org")
    assert tasks.emails_deliver_stragglers() == 0
    with time_machine.travel(straggler.created_at + timedelta(minutes=11)):
        recent = _enqueue_held(held_run, to="recent@example.org")
        assert tasks.emails_deliver_stragglers() == 1
    assert [message.to for message in mail.outbox] == [["straggler@example.org"]]
    recent.refresh_from_db()
    assert recent.sent_at is None


def test_stragglers_skip_emails_that_ran_out_of_attempts(held_run, settings):
    given_up = _enqueue_held(held_run)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    for _attempt in range(MAX_ATTEMPTS):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            email_deliver(email_id=given_up.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(given_up.created_at + timedelta(minutes=11)):
        assert tasks.emails_deliver_stragglers() == 0
    assert mail.outbox == []


# --- The outbox in the admin -----------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    hwb_team = User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )
    client.force_login(hwb_team)
    return client


def test_the_hwb_team_sends_an_unsent_email_again_from_the_admin(admin_client, held_run):
    unsent = _enqueue_held(held_run, to="unsent@example.org")
    response = admin_client.post(
        reverse("admin:accounts_outboundemail_changelist"),
        {"action": "send_again_now", "_selected_action": [unsent.pk]},
        follow=True,
    )
    assert "1 email sent." in response.content.decode()
    assert [message.to for message in mail.outbox] == [["unsent@example.org"]]

    again = admin_client.post(
        reverse("admin:accounts_outboundemail_changelist"),
        {"action": "send_again_now", "_selected_action": [unsent.pk]},
        follow=True,
    )
    assert "had been sent already" in again.content.decode()
    assert len(mail.outbox) == 1


def test_the_outbox_cannot_be_edited_in_the_admin(admin_client, held_run):
    email = _enqueue_held(held_run)
    change_url = reverse("admin:accounts_outboundemail_change", args=[email.pk])
    assert admin_client.get(change_url).status_code == 200
    admin_client.post(change_url, {"to": "someone-else@example.org"})
    email.refresh_from_db()
    assert email.to == "champion@example.org"
    assert admin_client.get(reverse("admin:accounts_outboundemail_add")).status_code == 403
