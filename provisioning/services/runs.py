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
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from schools.identifiers import upn_hash
from schools.models import School

from .. import emails, policy
from ..applying import SnapshotApplication
from ..contract import COUNT_NAMES
from ..models import HeldLearnerMove, MisLearner, MisStaff, ProvisioningRun
from ..selectors import last_successful_run
from ..snapshots import learners_check, snapshot_check_envelope, staff_check
from ..temporary_upns import temporary_upns_check
from . import ProvisioningError, StaleSnapshot

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
    *, run_id: int, progress: Callable[[int, int], None] | None = None
) -> ProvisioningRun:
    """Apply a queued run in one transaction: all its accepted records, or nothing.

    Safe to call twice (a redelivered task): a finished or held run is left as it is. A
    transient database error (lost connection, deadlock) is raised for the task to retry;
    any other error marks the run failed, with nothing applied.
    """
    with transaction.atomic():
        run = ProvisioningRun.objects.select_for_update().get(pk=run_id)
        if run.status not in {Status.QUEUED, Status.RUNNING}:
            return run
        if run.status == Status.QUEUED:  # a start; a retry or redelivery of it is not another
            run.attempts += 1
        run.status = Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at", "attempts"])
    try:
        return _apply(run_id, progress)
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


def _apply(run_id: int, progress) -> ProvisioningRun:
    with transaction.atomic():
        run = ProvisioningRun.objects.select_related("school").select_for_update().get(pk=run_id)
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
            unchanged_from = _same_snapshot_as_last(run, school, today)
            if unchanged_from is not None:
                if progress:
                    total = sum(c.get("received", 0) for c in unchanged_from.counts.values())
                    progress(total, total)
                return _run_repeat(run, school, unchanged_from)
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

        def application(check_hold: bool) -> SnapshotApplication:
            return SnapshotApplication(
                run=run,
                school=school,
                learners=learners,
                staff=staff,
                today=today,
                check_hold=check_hold,
                replacements=replacements,
            )

        run.errors = learners.errors + staff.errors
        run.warnings = learners.warnings + staff.warnings
        run.record_names = {**learners.names, **staff.names}
        check_hold = run.decided_at is None
        if run.dry_run:
            outcome = _rolled_back(application(check_hold))
        else:
            outcome = application(check_hold).apply()
        if outcome.held_reason:
            # What applying it would do, for the Hwb team (and a dry run) to judge.
            outcome.counts = _rolled_back(application(False)).counts
        now = timezone.now()
        if outcome.held_reason and not run.dry_run:
            run.status = Status.HELD
            run.failure_reason = outcome.held_reason
            run.counts = outcome.counts
            run.save(
                update_fields=[
                    "status",
                    "failure_reason",
                    "counts",
                    "errors",
                    "warnings",
                    "record_names",
                ]
            )
            audit_record(
                actor=None,
                action="provisioning.run_held",
                target=run,
                school=school,
                details={"reason": outcome.held_reason},
            )
            emails.run_held_tell(run, outcome.held_reason)
            return run
        if outcome.warnings:  # learners whose move is held, beside the records' own warnings
            run.warnings = learners.warnings + outcome.warnings + staff.warnings
        run.status = Status.SUCCEEDED
        run.finished_at = now
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
                school=school,
                details={"counts": outcome.counts},
            )
            emails.roll_conflicts_tell(school, outcome.new_roll_conflicts)
        return run


def _same_snapshot_as_last(
    run: ProvisioningRun, school: School, today: date
) -> ProvisioningRun | None:
    """The school's last applied run, if it had exactly these records and no leaving or
    admission date has come due since it ran (then applying again would change nothing)."""
    last = last_successful_run(school)
    if (
        last is None
        or not run.snapshot_digest
        or last.snapshot_digest != run.snapshot_digest
        or last.upns_removed_at is not None
    ):
        return None
    since = timezone.localdate(last.finished_at)
    if (
        MisLearner.objects.filter(
            policy.dates_came_due_q(since=since, today=today), school=school
        ).exists()
        or MisStaff.objects.filter(
            policy.dates_came_due_q(since=since, today=today, admission=False), school=school
        ).exists()
        # A learner's move held at this school, or decided since: its warnings and usernames
        # are worked out afresh by a real apply.
        or HeldLearnerMove.objects.filter(
            Q(to_school=school) | Q(from_school=school),
            Q(status=HeldLearnerMove.Status.OPEN) | Q(decided_at__gt=last.finished_at),
        ).exists()
    ):
        return None
    return last


def _run_repeat(run: ProvisioningRun, school: School, last: ProvisioningRun) -> ProvisioningRun:
    """Record a repeated snapshot as applied: every accepted record unchanged."""
    awaiting = (
        MisLearner.objects.filter(policy.on_roll_q(today=timezone.localdate()), school=school)
        .exclude(account__school=school)
        .exclude(account__isnull=True)
        .count()
    )
    counts = {}
    for kind, names in COUNT_NAMES.items():
        numbers = last.counts.get(kind, {})
        received, rejected = numbers.get("received", 0), numbers.get("rejected", 0)
        counts[kind] = dict.fromkeys(names, 0)
        counts[kind].update(received=received, rejected=rejected, unchanged=received - rejected)
        if kind == "learners":
            counts[kind].update(awaiting_leaver=awaiting, unchanged=received - rejected - awaiting)
    run.status = Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.snapshot = None
    run.counts = counts
    run.errors, run.warnings = last.errors, last.warnings
    run.record_names, run.accounts = last.record_names, _accounts_now(school, last.accounts)
    run.save()
    audit_record(
        actor=None,
        action="provisioning.run_applied",
        target=run,
        school=school,
        details={"counts": counts, "same_as_run": last.pk},
    )
    return run


def _accounts_now(school: School, accounts: dict) -> dict:
    """The usernames of the same accepted records as they are now, in one query: an account
    may have moved here in place of the one the last run reported (a transfer's Proceed)."""
    learners = (
        MisLearner.objects.filter(school=school, account__isnull=False)
        .annotate(kind=Value("learner"), key=F("upn_hash"), username=F("account__username"))
        .values_list("kind", "key", "username")
    )
    staff = (
        MisStaff.objects.filter(school=school, account__isnull=False)
        .annotate(kind=Value("staff"), key=F("staff_code"), username=F("account__username"))
        .values_list("kind", "key", "username")
    )
    now = {(kind, key): username for kind, key, username in learners.union(staff, all=True)}
    return {
        "learners": {
            upn: now.get(("learner", upn_hash(upn))) for upn in (accounts.get("learners") or {})
        },
        "staff": {code: now.get(("staff", code)) for code in (accounts.get("staff") or {})},
    }
