"""The Hwb team's decisions on a run held for review: apply it as it is (a worker applies it,
the hold check skipped), or discard it. Each is one transaction, audited."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record

from ..models import ProvisioningRun
from . import ProvisioningError
from .runs import run_apply_enqueue

Status = ProvisioningRun.Status


@transaction.atomic
def run_release(
    *, run: ProvisioningRun, actor: User, ip_address: str | None = None
) -> ProvisioningRun:
    """Apply a held snapshot as it is (the hold check is skipped); a worker applies it."""
    run = ProvisioningRun.objects.select_for_update().get(pk=run.pk)
    if run.status != Status.HELD:
        raise ProvisioningError(_("Only a held snapshot can be applied or discarded."))
    run.status = Status.QUEUED
    run.decided_by = actor
    run.decided_at = run.handed_over_at = timezone.now()
    run.attempts = 0  # the start that held it finished; lost workers are counted afresh
    run.save(update_fields=["status", "decided_by", "decided_at", "handed_over_at", "attempts"])
    audit_record(
        actor=actor,
        action="provisioning.run_released",
        target=run,
        school=run.school,
        ip_address=ip_address,
    )
    transaction.on_commit(lambda: run_apply_enqueue(run.pk))
    return run


@transaction.atomic
def run_discard(
    *, run: ProvisioningRun, actor: User, ip_address: str | None = None
) -> ProvisioningRun:
    """Discard a held snapshot: nothing of it is applied, and its raw data is dropped."""
    run = ProvisioningRun.objects.select_for_update().get(pk=run.pk)
    if run.status != Status.HELD:
        raise ProvisioningError(_("Only a held snapshot can be applied or discarded."))
    run.status = Status.DISCARDED
    run.decided_by = actor
    run.decided_at = run.finished_at = timezone.now()
    run.snapshot = None
    run.save(update_fields=["status", "decided_by", "decided_at", "finished_at", "snapshot"])
    audit_record(
        actor=actor,
        action="provisioning.run_discarded",
        target=run,
        school=run.school,
        ip_address=ip_address,
    )
    return run
