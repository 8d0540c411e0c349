"""The daily jobs of provisioning: learners whose admission date has come move in, and raw UPNs
leave runs once their retention period is over. Safe to run twice."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import ProvisioningRun
from ..moves import learner_moves_settle

Status = ProvisioningRun.Status


@transaction.atomic
def learner_admissions_settle(*, today: date | None = None) -> int:
    """Move learners whose admission date has come (rule 3), for every school at once; a move
    whose records disagree is held as a run would hold it."""
    moved = learner_moves_settle(today=today or timezone.localdate(), scope=None)
    return len(moved)


def run_upns_remove_expired(*, now: datetime | None = None) -> int:
    """Remove raw UPNs from runs older than the retention period (usernames, errors)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.HWB_RUN_UPN_RETENTION_DAYS)
    stripped = 0
    runs = ProvisioningRun.objects.filter(
        received_at__lt=cutoff, upns_removed_at__isnull=True
    ).exclude(status__in=[Status.QUEUED, Status.RUNNING, Status.HELD])
    for run_id in runs.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            run = ProvisioningRun.objects.select_for_update().get(pk=run_id)
            accounts = dict(run.accounts or {})
            accounts["learners"] = {}
            run.accounts = accounts
            for problem in (*run.errors, *run.warnings):
                if problem.get("record", "").startswith("learners["):
                    problem["key"] = ""
            run.snapshot = None
            run.upns_removed_at = timezone.now()
            run.save(
                update_fields=["accounts", "errors", "warnings", "snapshot", "upns_removed_at"]
            )
            stripped += 1
    return stripped
