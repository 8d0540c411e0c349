"""Queued runs of several schools applied together: what a worker does when the queue is deep.

In the night every school's Provisioning Client sends within the same hour, and a run's fixed
cost (its statements, commits and checks) is most of the work of an average school's few hundred
records. A worker that takes a queued run therefore claims up to ``HWB_RUN_BATCH_RUNS`` other
queued runs (of other schools, each its school's oldest unfinished run) and applies them in one
set-based pass (``applying.SnapshotApplication`` over many schools), in one transaction.

Each school's run still succeeds, fails or is held on its own. What cannot share the pass is
applied alone afterwards, through the one-run path (``runs.snapshot_run_apply``): a dry run, a
run the Hwb team decided on, a run replacing temporary UPNs, a stale run (failed as such), and a
run whose snapshot must be held (taken out of the pass before anything is written). If the pass
itself fails, nothing of it stays and every run of it is applied alone, so a bad snapshot fails
alone. A run the same as its school's last is recorded as such, without a pass.

Runs are claimed (marked running, a start counted) and committed before they are applied, as a
single run is; the pass holds every claimed run's row lock, so the stalled-run sweep and a second
delivery of one of their tasks leave them alone.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from schools.models import School

from ..applying import SnapshotApplication
from ..models import ProvisioningRun
from .repeats import repeats_find, repeats_record
from .runs import run_outcome_record, run_part_check, snapshot_run_apply

logger = logging.getLogger(__name__)
Status = ProvisioningRun.Status


def runs_apply_queued(*, run_id: int) -> ProvisioningRun | None:
    """Apply a queued run, with as many other schools' queued runs as may go with it.

    Returns the run (None when another worker holds it: it is being applied). Safe to call
    twice, as ``snapshot_run_apply`` is.
    """
    run, claimed = _runs_claim(run_id)
    if run is None:
        return None  # another worker holds it
    if run.status not in {Status.QUEUED, Status.RUNNING}:
        return run  # finished or held already: a second delivery of its task
    if not claimed:  # a retry, a dry run, a decided run, a lost worker's run: the one-run path
        return snapshot_run_apply(run_id=run_id, wait=False)
    alone = claimed
    try:
        alone = _batch_apply(claimed)
    except Exception:
        logger.exception(
            "a batch of %d provisioning runs failed; applying each alone", len(claimed)
        )
    for other in alone:
        if other != run_id:
            _alone(other)
    return snapshot_run_apply(run_id=run_id) if run_id in alone else _run(run_id)


def _run(run_id: int) -> ProvisioningRun:
    return ProvisioningRun.objects.defer("snapshot").get(pk=run_id)


def _alone(run_id: int) -> None:
    """A claimed run applied by itself; a database outage leaves it running for the sweep."""
    try:
        snapshot_run_apply(run_id=run_id)
    except Exception:
        logger.exception(
            "provisioning run %s could not be applied; the sweep hands it over", run_id
        )


@transaction.atomic
def _runs_claim(run_id: int) -> tuple[ProvisioningRun | None, list[int]]:
    """Claim the run and up to ``HWB_RUN_BATCH_RUNS - 1`` other queued runs of other schools
    (each its school's oldest unfinished run), marked running with a start counted.

    Returns the run as it was (None: another worker holds it) and the ids claimed: none when
    the run is not for a batch (finished, a retry already running, a dry run, a decided run, or
    a run whose worker was lost before: a snapshot that kills its worker would otherwise take
    every run of its batch down with it, twice, until the sweep gave them all up).
    """
    run = (
        ProvisioningRun.objects.select_for_update(skip_locked=True)
        .defer("snapshot")
        .filter(pk=run_id)
        .first()
    )
    if (
        run is None
        or run.status != Status.QUEUED
        or run.dry_run
        or run.decided_at is not None
        or run.attempts  # its worker was lost before: alone, so it takes no other run down
    ):
        return run, []
    size = settings.HWB_RUN_BATCH_RUNS
    candidates = list(
        ProvisioningRun.objects.select_for_update(skip_locked=True)
        .filter(status=Status.QUEUED, dry_run=False, decided_at__isnull=True, attempts=0)
        .exclude(school_id=run.school_id)
        .order_by("pk")
        .values_list("pk", "school_id")[: size * 2]
    )
    # A school's runs are applied in the order they came: only its oldest unfinished one.
    oldest = dict(
        ProvisioningRun.objects.filter(
            school_id__in={school for _pk, school in candidates},
            status__in=[Status.QUEUED, Status.RUNNING],
        )
        .values_list("school_id")
        .annotate(first=Min("pk"))
    )
    claimed, schools = [run.pk], {run.school_id}
    for pk, school in candidates:
        if len(claimed) >= size:
            break
        if school not in schools and oldest.get(school) == pk:
            claimed.append(pk)
            schools.add(school)
    ProvisioningRun.objects.filter(pk__in=claimed).update(
        status=Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    return run, claimed


@transaction.atomic
def _batch_apply(run_ids: list[int]) -> list[int]:
    """Apply the claimed runs in one pass; return those to apply alone (in claim order)."""
    # A claimed run another worker took up meanwhile (its task, between the claim's commit and
    # this lock) is that worker's to finish: skipped, not waited for.
    runs = list(
        ProvisioningRun.objects.select_related("school")
        .select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=run_ids, status=Status.RUNNING)
        .order_by("pk")
    )
    schools = {
        school.pk: school
        for school in School.objects.select_for_update()
        .filter(pk__in=[run.school_id for run in runs])
        .order_by("pk")
    }
    last_applied = dict(
        ProvisioningRun.objects.filter(
            school_id__in=schools, status=Status.SUCCEEDED, dry_run=False
        )
        .values_list("school_id")
        .annotate(last=Max("extracted_at"))
    )
    today = timezone.localdate()
    alone = [
        run.pk
        for run in runs
        if last_applied.get(run.school_id) is not None
        and run.extracted_at < last_applied[run.school_id]
    ]  # failed there, as stale
    runs = [run for run in runs if run.pk not in alone]
    repeated = repeats_find(runs, today=today)
    if repeated:
        repeats_record([(run, repeated[run.pk]) for run in runs if run.pk in repeated])
    parts = []
    for run in runs:
        if run.pk in repeated:
            continue
        school = schools[run.school_id]
        try:
            part = run_part_check(run, school, today=today)
        except Exception:  # a snapshot that cannot be read: it fails alone, saying why
            alone.append(run.pk)
            continue
        if part.replacements:
            alone.append(run.pk)
            continue
        parts.append(part)
    if parts:
        outcomes = SnapshotApplication(parts=parts, today=today, check_hold=True).apply()
        for part in parts:
            outcome = outcomes[part.school.pk]
            if outcome.held_reason:
                alone.append(part.run.pk)  # held there, with what applying it would do
            else:
                run_outcome_record(part, outcome)
    return alone
