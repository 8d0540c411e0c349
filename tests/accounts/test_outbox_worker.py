"""The email outbox with a real Celery worker on Redis: a mail server that is down, then up.

The worker is a separate process on the test database, so the test commits its data
(transactional_db) and sends the tasks through Redis on a queue of its own. Its EMAIL_URL points
at a port where at first nothing listens: every delivery is refused and retried with backoff.
Then a real SMTP server (aiosmtpd, the outside world) starts on that port, and every email
arrives exactly once.
"""

import socket
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from accounts.emails import email_enqueue
from accounts.models import OutboundEmail
from accounts.tasks import email_deliver
from provisioning.models import ProvisioningRun
from schools.models import School
from tests.factories import SchoolFactory
from tests.workers import start_worker, stop, wait_until

EMAILS = 5
TIMEOUT = 30


class RecordingHandler:
    """An SMTP server's message handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def school(local_authorities) -> School:
    return SchoolFactory(dfes_number="6612001", name_en="Llanberis Primary School")


@pytest.fixture
def smtp_port() -> int:
    """A port on which nothing listens (yet): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def enqueue_held_run_emails(
    school: School, count: int, *, first_number: int = 0
) -> list[OutboundEmail]:
    run = ProvisioningRun.objects.create(
        school=school,
        status=ProvisioningRun.Status.HELD,
        extracted_at=datetime(2025, 11, 3, 6, 0, tzinfo=UTC),
        received_at=datetime(2025, 11, 3, 6, 5, tzinfo=UTC),
        failure_reason="The snapshot is empty.",
    )
    with transaction.atomic():  # the delivery tasks are sent when this commits
        return [
            email_enqueue(
                to=f"champion{number}@example.org",
                template="provisioning_run_held",
                context={"school": school, "run": run, "reason": run.failure_reason},
                language="en",
            )
            for number in range(first_number, first_number + count)
        ]


@pytest.mark.django_db(transaction=True)
def test_emails_survive_a_mail_server_outage_and_each_is_delivered_once(queue, school, smtp_port):
    handler = RecordingHandler()
    server = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    worker = start_worker(queue, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}")
    try:
        emails = enqueue_held_run_emails(school, EMAILS)
        ids = [email.pk for email in emails]
        unsent = OutboundEmail.objects.filter(pk__in=ids, sent_at__isnull=True)

        # The mail server is down: every email is tried, refused, and kept for a retry.
        wait_until(
            lambda: unsent.filter(attempts__gte=1).count() == EMAILS,
            worker,
            "every email had been tried once",
        )
        assert unsent.count() == EMAILS
        assert all(
            "ConnectionRefusedError" in error
            for error in unsent.values_list("last_error", flat=True)
        )

        # The mail server comes back: the retries (backoff of seconds) deliver every email.
        server.start()
        wait_until(lambda: not unsent.exists(), worker, "every email had been sent")

        # Duplicate delivery tasks (a broker delivering again, the straggler sweep) send
        # nothing. One more email queued behind them tells when the worker has taken them all.
        for email_id in ids:
            email_deliver.delay(email_id)
        (last,) = enqueue_held_run_emails(school, 1, first_number=EMAILS)
        wait_until(
            lambda: OutboundEmail.objects.filter(pk=last.pk, sent_at__isnull=False).exists(),
            worker,
            "the email queued behind the duplicates had been sent",
        )
    finally:
        output = stop(worker)
        server.stop(no_assert=True)

    recipients = sorted(rcpt for _from, rcpts, _content in handler.messages for rcpt in rcpts)
    assert recipients == sorted(f"champion{number}@example.org" for number in range(EMAILS + 1)), (
        output
    )
    for email in OutboundEmail.objects.filter(pk__in=ids):
        assert email.sent_at is not None
        assert email.attempts >= 2, "the first attempt met a closed port"
        assert email.last_error == ""
    messages = [
        message_from_bytes(content, policy=policy.default) for *_e, content in handler.messages
    ]
    assert {message["Subject"] for message in messages} == {
        "Snapshot from Llanberis Primary School (6612001) held for review"
    }
    assert all(message["Auto-Submitted"] == "auto-generated" for message in messages)
