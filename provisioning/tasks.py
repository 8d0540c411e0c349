"""Celery tasks of provisioning: thin, safe to run twice; the services do the work."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import placements, recovery
from .services import jobs, runs


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def run_apply(run_id: int) -> str:
    """Apply a received snapshot. Acknowledged only when done, so a lost worker's run is
    delivered again; the run's status makes a second delivery apply nothing twice."""
    return runs.snapshot_run_apply(run_id=run_id).status


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
