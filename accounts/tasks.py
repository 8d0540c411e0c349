"""Celery tasks of accounts: the email outbox, the daily clean-up of sign-in records, the
12-month deletion sweep. Thin."""

import smtplib

from celery import shared_task

from . import emails, retention, signin


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


@shared_task(acks_late=True)
def accounts_delete_due() -> int:
    """Beat, daily: deactivated accounts whose 12 months are up are deleted."""
    return retention.accounts_delete_due()


@shared_task
def signin_records_remove_expired() -> dict[str, int]:
    """Beat, daily: expired sessions and old sign-in records (failures, access logs)."""
    return signin.signin_records_remove_expired()


@shared_task(acks_late=True)
def non_mis_accounts_close_due() -> dict[str, int]:
    """Beat: school-made accounts close at their expiry date or after 90 days unused."""
    from .services import non_mis_accounts_close_due as close_due

    return close_due()
