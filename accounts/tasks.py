"""Celery tasks of accounts: delivering the email outbox. Thin: they take ids and call services."""

import smtplib

from celery import shared_task

from . import emails


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=emails.MAX_ATTEMPTS - 1,
)
def email_deliver(email_id: int) -> bool:
    """Send one stored email; safe to run twice (the row records that it was sent)."""
    return emails.email_deliver(email_id=email_id)


@shared_task
def emails_deliver_stragglers() -> int:
    """Beat: send again the emails whose delivery task was lost."""
    return emails.emails_stragglers_enqueue()
