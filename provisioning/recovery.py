"""Runs no worker is applying: handed to a worker again, or given up after two lost workers.

A run is stored before a worker is asked to apply it, so nothing is lost when the broker is
down at that moment or a worker dies half-way (killed, out of memory): the run stays queued or
running in the database. A beat task calls ``runs_stalled_recover`` every minute. A live apply
holds its run's row lock for the whole apply, so ``skip_locked`` passes over it; a run that is
running with nobody holding its lock has lost its worker. Handing a run over twice applies it
once: ``snapshot_run_apply`` takes the same lock and skips a finished run.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import email_enqueue
from accounts.services import audit_record

from .models import ProvisioningRun
from .services.runs import run_apply_enqueue

logger = logging.getLogger(__name__)
Status = ProvisioningRun.Status

# A run whose worker was lost this many times is failed and the Hwb team told, rather than
# handed to a third worker (a snapshot that kills its workers would otherwise loop for ever).
STARTS_BEFORE_GIVING_UP = 2
SWEEP_BATCH = 200


def runs_stalled_recover(*, now: datetime | None = None) -> tuple[int, int]:
    """Hand stalled runs to a worker again; fail those whose worker was lost twice.

    Stalled: queued and last handed to a worker ``HWB_RUN_STALLED_MINUTES`` ago or more (the
    broker was down, or lost the task), or running since then with no worker holding it.
    Returns (handed over again, given up).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.HWB_RUN_STALLED_MINUTES)
    handed, given_up = 0, 0
    with transaction.atomic():
        stalled = (
            ProvisioningRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("school")
            .defer("snapshot")
            .filter(
                Q(status=Status.QUEUED)
                & (Q(handed_over_at__isnull=True) | Q(handed_over_at__lt=cutoff))
                | Q(status=Status.RUNNING, started_at__lt=cutoff)
            )
            .order_by("pk")[:SWEEP_BATCH]
        )
        for run in stalled:
            if run.status == Status.RUNNING and run.attempts >= STARTS_BEFORE_GIVING_UP:
                _give_up(run, now)
                given_up += 1
                continue
            if run.status == Status.RUNNING:
                audit_record(
                    actor=None,
                    action="provisioning.run_handed_over_again",
                    target=run,
                    school=run.school,
                    details={"attempts": run.attempts, "started_at": run.started_at.isoformat()},
                )
            else:
                logger.info("provisioning run %s is still queued: handing it over again", run.pk)
            run.status = Status.QUEUED
            run.handed_over_at = now
            run.save(update_fields=["status", "handed_over_at"])
            transaction.on_commit(lambda run_id=run.pk: run_apply_enqueue(run_id))
            handed += 1
    return handed, given_up


def _give_up(run: ProvisioningRun, now: datetime) -> None:
    run.status = Status.FAILED
    run.finished_at = now
    run.snapshot = None
    run.failure_reason = _(
        "The worker applying this snapshot stopped %(count)d times before finishing; nothing "
        "was applied. The Hwb team has been told. The school's next snapshot is applied as usual."
    ) % {"count": run.attempts}
    run.save(update_fields=["status", "finished_at", "snapshot", "failure_reason"])
    logger.error("provisioning run %s lost its worker %d times: failed", run.pk, run.attempts)
    audit_record(
        actor=None,
        action="provisioning.run_given_up",
        target=run,
        school=run.school,
        details={"attempts": run.attempts},
    )
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template="provisioning_run_failed_twice",
        context={
            "school": run.school,
            "run": run,
            "admin_url": settings.HWB_PORTAL_URL
            + reverse("admin:provisioning_provisioningrun_change", args=[run.pk]),
        },
        language="en",
    )
