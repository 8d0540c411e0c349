"""Celery tasks of school changes: thin and safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from .services import schools, staff_matches, staff_moves


# A deadlock with a provisioning run (or a lost connection) rolls back one batch only: the task
# tries again and carries on where it stopped.
@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def staff_matches_move(match_list_id: int) -> int:
    """Move an approved staff match list's accounts; a second run moves nobody twice."""
    return staff_moves.staff_matches_move(match_list_id=match_list_id).moved


@shared_task(acks_late=True)
def schools_status_advance() -> dict[str, int]:
    """The beat job: proposed schools open and closing schools close on their dates."""
    return schools.schools_status_advance()


@shared_task(acks_late=True)
def staff_matches_move_due() -> list[int]:
    """The beat job: approved staff matches move on their merger's or closure's date."""
    return staff_matches.staff_matches_move_due()
