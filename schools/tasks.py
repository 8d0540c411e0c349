"""Celery tasks of schools: thin and safe to run twice."""

from celery import shared_task

from . import notices


@shared_task(acks_late=True)
def schools_status_advance() -> dict[str, int]:
    """The beat job: proposed schools open and closing schools close on their dates."""
    return notices.schools_status_advance()
