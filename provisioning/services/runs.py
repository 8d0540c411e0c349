"""Runs: a snapshot received and stored, applied by a worker in one transaction (or imported
and applied here and now), and a snapshot the same as the last one recorded without applying it.

A run is stored before a worker is asked to apply it, so nothing is lost when the broker is down
(``recovery.py`` hands it over later); applying is ``applying.SnapshotApplication``'s job.
"""

import hashlib
import json
import logging
import zlib
from collections.abc import Callable
from datetime import date, datetime

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from schools.models import School

from .. import emails
from ..applying import Outcome, Part, SnapshotApplication
from ..models import ProvisioningRun
from ..snapshots import learners_check, snapshot_check_envelope, staff_check
from ..temporary_upns import temporary_upns_check
from . import ProvisioningError, StaleSnapshot
from .repeats import repeats_find, repeats_record

logger = logging.getLogger(__name__)
Status = ProvisioningRun.Status


# --- Receiving ------------------------------------------------------------------------------------


def _last_applied_extract(school: School) -> datetime | None:
    return (
        ProvisioningRun.objects.filter(school=school, status=Status.SUCCEEDED, dry_run=False)
        .order_by("-extracted_at")
        .values_list("extracted_at", flat=True)
        .first()
    )


@transaction.atomic
def run_receive(
    *,
    school: School,
    snapshot: dict,
    dry_run: bool = False,
    source: str = "api",
    actor: User | None = None,
    enqueue: bool = True,
) -> ProvisioningRun:
    """Store a snapshot as a queued run and hand it to a worker once committed.

    Raises EnvelopeError for a malformed snapshot and StaleSnapshot for one older than the
    school's last applied snapshot. Records are checked when the run is applied.
    """
    snapshot = snapshot_check_envelope(snapshot)
    if snapshot["school"] != school.dfes_number:
        raise ProvisioningError(_("This snapshot is for another school."))
    extracted_at = snapshot["extracted_at"]
    # One run of a school at a time decides the order: lock the school row.
    School.objects.select_for_update().get(pk=school.pk)
    last = _last_applied_extract(school)
    if last is not None and extracted_at < last:
        raise StaleSnapshot(
            _(
                "This snapshot was extracted at %(extracted)s, before the last applied one "
                "(%(last)s). Send a new snapshot."
            )
            % {"extracted": extracted_at.isoformat(), "last": last.isoformat()}
        )
    body = json.dumps(
        {"learners": snapshot["learners"], "staff": snapshot["staff"]},
        separators=(",", ":"),
    ).encode()
    run = ProvisioningRun.objects.create(
        school=school,
        handed_over_at=timezone.now() if enqueue else None,
        dry_run=dry_run,
        mis=snapshot.get("mis") or "",
        client_version=snapshot.get("client_version") or "",
        extracted_at=extracted_at,
        source=source,
        snapshot=zlib.compress(body, 1),
        snapshot_digest=hashlib.sha256(body).hexdigest(),
    )
    if enqueue:
        transaction.on_commit(lambda: run_apply_enqueue(run.pk))
    return run


def run_apply_enqueue(run_id: int) -> None:
    """Hand a stored run to a worker (called once its transaction has committed).

    A broker that cannot be reached loses nothing and fails nobody's request: the run stays
    queued in the database, and the stalled-run sweep hands it over again (recovery.py).
    """
    from ..tasks import run_apply

    try:
        run_apply.delay(run_id)
    except Exception:
        if run_apply.app.conf.task_always_eager:
            raise  # applied in this process: the error is the run's own, not the broker's
        logger.warning(
            "provisioning run %s is stored but could not be handed to a worker; the stalled-run "
            "sweep will hand it over",
            run_id,
            exc_info=True,
        )


def snapshot_import(
    *,
    school: School,
    snapshot: dict,
    actor: User | None = None,
    source: str = "import",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ProvisioningRun:
    """Receive a snapshot and apply it now, in this process (the import command, benchmarks)."""
    run = run_receive(
        school=school,
        snapshot=snapshot,
        dry_run=dry_run,
        source=source,
        actor=actor,
        enqueue=False,
    )
    if actor is not None:
        audit_record(
            actor=actor,
            action="provisioning.snapshot_imported",
            target=run,
            school=school,
            details={"dry_run": dry_run},
        )
    return snapshot_run_apply(run_id=run.pk, progress=progress)


# --- Applying -------------------------------------------------------------------------------------


class _DryRunDone(Exception):
    """Raised to roll a dry run back once its outcome is known."""


def _rolled_back(application: SnapshotApplication):
    """Apply, note the outcome, and undo it all (a dry run; a held run's would-be counts)."""
    try:
        with transaction.atomic():
            outcome = application.apply()
            raise _DryRunDone
    except _DryRunDone:
        return outcome


def snapshot_run_apply(
    *, run_id: int, progress: Callable[[int, int], None] | None = None, wait: bool = True
) -> ProvisioningRun:
    """Apply a queued run in one transaction: all its accepted records, or nothing.

    Safe to call twice (a redelivered task): a finished or held run is left as it is. A
    transient database error (lost connection, deadlock) is raised for the task to retry;
    any other error marks the run failed, with nothing applied. ``wait=False`` (a worker
    taking a run's task): a run another worker holds, in its batch, is left to that worker.
    """
    with transaction.atomic():
        run = _run_locked(run_id, wait=wait)
        if run is None:
            return ProvisioningRun.objects.defer("snapshot").get(pk=run_id)
        if run.status not in {Status.QUEUED, Status.RUNNING}:
            return run
        if run.status == Status.QUEUED:  # a start; a retry or redelivery of it is not another
            run.attempts += 1
        run.status = Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at", "attempts"])
    try:
        return _apply(run_id, progress, wait=wait)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        logger.exception("provisioning run %s failed", run_id)
        return _run_fail(run_id, exc)


def _run_fail(run_id: int, exc: Exception) -> ProvisioningRun:
    with transaction.atomic():
        run = ProvisioningRun.objects.select_for_update().get(pk=run_id)
        if run.status in {Status.QUEUED, Status.RUNNING}:
            run.status = Status.FAILED
            run.finished_at = timezone.now()
            run.snapshot = None
            if isinstance(exc, ProvisioningError):
                run.failure_reason = str(exc)
            elif isinstance(exc, DatabaseError):
                run.failure_reason = _(
                    "The database refused the snapshot (%(error)s); nothing was applied."
                ) % {"error": type(exc).__name__}
            else:
                run.failure_reason = _(
                    "The portal could not apply the snapshot (%(error)s); nothing was applied."
                ) % {"error": type(exc).__name__}
            run.save(update_fields=["status", "finished_at", "snapshot", "failure_reason"])
    return run


def _run_locked(run_id: int, *, wait: bool) -> ProvisioningRun | None:
    """The run, locked (its row only); None if another worker holds it and ``wait`` is False."""
    run = (
        ProvisioningRun.objects.select_related("school")
        .select_for_update(skip_locked=not wait, of=("self",))
        .filter(pk=run_id)
        .first()
    )
    if run is None and wait:
        raise ProvisioningRun.DoesNotExist(run_id)
    return run


def _apply(run_id: int, progress, *, wait: bool = True) -> ProvisioningRun:
    with transaction.atomic():
        run = _run_locked(run_id, wait=wait)
        if run is None:
            return ProvisioningRun.objects.defer("snapshot").get(pk=run_id)
        if run.status != Status.RUNNING:
            return run
        school = School.objects.select_for_update().get(pk=run.school_id)
        last = _last_applied_extract(school)
        if last is not None and run.extracted_at < last:
            raise StaleSnapshot(
                _("A newer snapshot of this school was applied first; this one was not applied.")
            )
        today = timezone.localdate()
        if run.decided_at is None and not run.dry_run:
            unchanged_from = repeats_find([run], today=today).get(run.pk)
            if unchanged_from is not None:
                if progress:
                    total = sum(c.get("received", 0) for c in unchanged_from.counts.values())
                    progress(total, total)
                repeats_record([(run, unchanged_from)])
                return run
        part = run_part_check(run, school, today=today, progress=progress)

        def application(check_hold: bool) -> SnapshotApplication:
            return SnapshotApplication(parts=[part], today=today, check_hold=check_hold)

        check_hold = run.decided_at is None
        if run.dry_run:
            outcome = _rolled_back(application(check_hold))[school.pk]
        else:
            outcome = application(check_hold).apply()[school.pk]
        if outcome.held_reason:
            # What applying it would do, for the Hwb team (and a dry run) to judge.
            outcome.counts = _rolled_back(application(False))[school.pk].counts
        if outcome.held_reason and not run.dry_run:
            _run_hold(part, outcome.held_reason, outcome.counts)
            return run
        run_outcome_record(part, outcome)
        return run


def run_part_check(
    run: ProvisioningRun,
    school: School,
    *,
    today: date,
    progress: Callable[[int, int], None] | None = None,
) -> Part:
    """A stored run's snapshot read and its records checked, ready to apply."""
    snapshot = json.loads(zlib.decompress(run.snapshot))
    total = len(snapshot["learners"]) + len(snapshot["staff"])
    if progress:
        progress(0, total)
    learners = learners_check(snapshot["learners"], today=today)
    replacements = temporary_upns_check(learners, school=school)
    if progress:
        progress(len(snapshot["learners"]), total)
    staff = staff_check(snapshot["staff"])
    if progress:
        progress(total, total)
    run.errors = learners.errors + staff.errors
    run.warnings = learners.warnings + staff.warnings
    run.record_names = {**learners.names, **staff.names}
    return Part(run=run, school=school, learners=learners, staff=staff, replacements=replacements)


def _run_hold(part: Part, reason: str, counts: dict) -> None:
    """Hold a run for the Hwb team: nothing of it applied; they and the school are told."""
    run = part.run
    run.status = Status.HELD
    run.failure_reason = reason
    run.counts = counts
    run.save(
        update_fields=["status", "failure_reason", "counts", "errors", "warnings", "record_names"]
    )
    audit_record(
        actor=None,
        action="provisioning.run_held",
        target=run,
        school=part.school,
        details={"reason": reason},
    )
    emails.run_held_tell(run, reason)


def run_outcome_record(part: Part, outcome: Outcome) -> None:
    """Record an applied run (or a dry run's would-be outcome) and tell who must know."""
    run = part.run
    if outcome.warnings:  # learners whose move is held, beside the records' own warnings
        run.warnings = part.learners.warnings + outcome.warnings + part.staff.warnings
    run.status = Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.snapshot = None
    run.counts = outcome.counts
    run.accounts = outcome.accounts
    run.failure_reason = outcome.held_reason  # a dry run says it would have been held
    run.save()
    if not run.dry_run:
        audit_record(
            actor=None,
            action="provisioning.run_applied",
            target=run,
            school=part.school,
            details={"counts": outcome.counts},
        )
        emails.roll_conflicts_tell(part.school, outcome.new_roll_conflicts)
