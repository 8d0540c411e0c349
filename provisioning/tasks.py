"""Celery tasks of provisioning: thin, safe to run twice; the services do the work."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import placements, recovery
from .services import batches, jobs


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def run_apply(run_id: int) -> str:
    """Apply a received snapshot, with other schools' queued runs when the queue is deep.
    Acknowledged only when done, so a lost worker's run is delivered again; the run's status
    (and its row lock while applied) makes a second delivery apply nothing twice."""
    run = batches.runs_apply_queued(run_id=run_id)
    return run.status if run is not None else "being applied"


@shared_task(acks_late=True)
def learner_admissions_settle() -> int:
    return jobs.learner_admissions_settle()


@shared_task(acks_late=True)
def run_upns_remove_expired() -> int:
    return jobs.run_upns_remove_expired()


@shared_task(acks_late=True)
def ite_placement_reminders_send() -> int:
    return placements.ite_placement_reminders_send()


@shared_task
def runs_stalled_recover() -> tuple[int, int]:
    """Beat, every minute: runs no worker is applying are handed over again (or given up)."""
    return recovery.runs_stalled_recover()
