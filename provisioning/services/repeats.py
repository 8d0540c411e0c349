"""A snapshot the same as its school's last applied one: recorded as applied, every accepted
record unchanged, without applying it. For one run or a worker's batch, in a few queries for all
of them (in the night most schools send what they sent the night before)."""

from collections import defaultdict
from datetime import date

from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.utils import timezone

from accounts.bulk import audit_entry_build
from accounts.models import AuditEntry
from schools.identifiers import upn_hash

from .. import policy
from ..contract import COUNT_NAMES
from ..models import HeldLearnerMove, MisLearner, MisStaff, ProvisioningRun

Status = ProvisioningRun.Status


def repeats_find(runs: list[ProvisioningRun], *, today: date) -> dict[int, ProvisioningRun]:
    """{run id: its school's last applied run} for the runs that sent exactly what that run had,
    with no leaving or admission date come due since and no learner's move held at the school
    or decided since (applying them again would change nothing)."""
    runs = [run for run in runs if run.snapshot_digest and not run.dry_run]
    if not runs:
        return {}
    latest = (
        ProvisioningRun.objects.filter(
            school_id=OuterRef("school_id"), status=Status.SUCCEEDED, dry_run=False
        )
        .order_by("-finished_at", "-pk")
        .values("pk")[:1]
    )
    last_ids = (
        ProvisioningRun.objects.filter(pk__in=[run.pk for run in runs])
        .annotate(last=Subquery(latest))
        .values_list("school_id", "last")
    )
    lasts = {
        last.school_id: last
        for last in ProvisioningRun.objects.filter(
            pk__in=[pk for _school, pk in last_ids if pk]
        ).defer("snapshot")
    }
    same = {
        run.pk: lasts[run.school_id]
        for run in runs
        if run.school_id in lasts
        and lasts[run.school_id].snapshot_digest == run.snapshot_digest
        and lasts[run.school_id].upns_removed_at is None
    }
    if not same:
        return {}
    changed = _dates_came_due(list(same.values()), today=today) | _moves_held_or_decided(
        list(same.values())
    )
    return {pk: last for pk, last in same.items() if last.school_id not in changed}


def _dates_came_due(lasts: list[ProvisioningRun], *, today: date) -> set[int]:
    """Schools with a record whose leaving (or admission) date came due since their last run."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for last in lasts:
        by_day[timezone.localdate(last.finished_at)].append(last.school_id)
    schools: set[int] = set()
    for since, school_ids in by_day.items():
        for model, admission in ((MisLearner, True), (MisStaff, False)):
            schools.update(
                model.objects.filter(
                    policy.dates_came_due_q(since=since, today=today, admission=admission),
                    school_id__in=school_ids,
                )
                .values_list("school_id", flat=True)
                .distinct()
            )
    return schools


def _moves_held_or_decided(lasts: list[ProvisioningRun]) -> set[int]:
    """Schools with a learner's move held there, or decided since their last run: its warnings
    and usernames are worked out afresh by a real apply."""
    finished = {last.school_id: last.finished_at for last in lasts}
    holds = HeldLearnerMove.objects.filter(
        Q(to_school_id__in=finished) | Q(from_school_id__in=finished),
        Q(status=HeldLearnerMove.Status.OPEN) | Q(decided_at__gt=min(finished.values())),
    ).values_list("to_school_id", "from_school_id", "status", "decided_at")
    schools = set()
    for to_school, from_school, status, decided_at in holds:
        for school_id in (to_school, from_school):
            if school_id in finished and (
                status == HeldLearnerMove.Status.OPEN or decided_at > finished[school_id]
            ):
                schools.add(school_id)
    return schools


def repeats_record(pairs: list[tuple[ProvisioningRun, ProvisioningRun]]) -> None:
    """Record each run as applied, the same as its school's last (``pairs`` of run and last
    run): every accepted record unchanged, learners awaiting a leaver counted as they are now,
    and the usernames of the same records as they are now. Four statements for all."""
    school_ids = [run.school_id for run, _last in pairs]
    today = timezone.localdate()
    awaiting = dict(
        MisLearner.objects.filter(
            policy.on_roll_q(today=today), school_id__in=school_ids, account__isnull=False
        )
        .exclude(account__school_id=F("school_id"))
        .values_list("school_id")
        .annotate(number=Count("pk"))
        .order_by()
    )
    usernames = _usernames_now(school_ids)
    now = timezone.now()
    entries = []
    for run, last in pairs:
        counts = {}
        for kind, names in COUNT_NAMES.items():
            numbers = last.counts.get(kind, {})
            received, rejected = numbers.get("received", 0), numbers.get("rejected", 0)
            counts[kind] = dict.fromkeys(names, 0)
            counts[kind].update(received=received, rejected=rejected, unchanged=received - rejected)
            if kind == "learners":
                waiting = awaiting.get(run.school_id, 0)
                counts[kind].update(
                    awaiting_leaver=waiting, unchanged=received - rejected - waiting
                )
        run.status = Status.SUCCEEDED
        run.finished_at = now
        run.snapshot = None
        run.counts = counts
        run.errors, run.warnings = last.errors, last.warnings
        run.record_names = last.record_names
        run.accounts = _accounts_now(last.accounts, usernames.get(run.school_id, {}))
        entries.append(
            audit_entry_build(
                actor=None,
                action="provisioning.run_applied",
                target=run,
                school=run.school_id,
                details={"counts": counts, "same_as_run": last.pk},
                created_at=now,
            )
        )
    ProvisioningRun.objects.bulk_update(
        [run for run, _last in pairs],
        [
            "status",
            "finished_at",
            "snapshot",
            "counts",
            "errors",
            "warnings",
            "record_names",
            "accounts",
        ],
    )
    AuditEntry.objects.bulk_create(entries)


def _usernames_now(school_ids: list[int]) -> dict[int, dict[tuple[str, str], str]]:
    """Each school's records' usernames as they are now: {school id: {(kind, key): username}}."""
    learners = (
        MisLearner.objects.filter(school_id__in=school_ids, account__isnull=False)
        .annotate(kind=Value("learner"), key=F("upn_hash"), username=F("account__username"))
        .values_list("school_id", "kind", "key", "username")
    )
    staff = (
        MisStaff.objects.filter(school_id__in=school_ids, account__isnull=False)
        .annotate(kind=Value("staff"), key=F("staff_code"), username=F("account__username"))
        .values_list("school_id", "kind", "key", "username")
    )
    now: dict[int, dict[tuple[str, str], str]] = defaultdict(dict)
    for school_id, kind, key, username in learners.union(staff, all=True):
        now[school_id][(kind, key)] = username
    return now


def _accounts_now(accounts: dict, now: dict[tuple[str, str], str]) -> dict:
    """The usernames of the last run's accepted records as they are now: an account may have
    moved here in place of the one the last run reported (a transfer's Proceed). When every
    username it reported is still a record's here, nothing has moved (an account belongs to
    one record of a school) and the report stands as it was."""
    learners, staff = accounts.get("learners") or {}, accounts.get("staff") or {}
    reported = {name for names in (learners, staff) for name in names.values() if name}
    if reported <= set(now.values()):
        return {"learners": dict(learners), "staff": dict(staff)}
    return {
        "learners": {upn: now.get(("learner", upn_hash(upn))) for upn in learners},
        "staff": {code: now.get(("staff", code)) for code in staff},
    }
