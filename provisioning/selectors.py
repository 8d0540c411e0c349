"""Reads of provisioning, with authorisation in their names: the digital champion's Provisioning
page (a champion sees their own school's runs and learners, and anything else is a 404) and the
Provisioning Client's runs (a client's token sees its own school's).

Every list here costs a fixed number of queries, however many rows it holds.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import AccountMove, AuditEntry, User
from accounts.selectors import accounts_with_stale_username, champion_school
from schools.identifiers import upn_hash
from schools.models import School

from . import messages, policy
from .models import ClientToken, HeldLearnerMove, MisLearner, MisStaff, ProvisioningRun

RUNS_SHOWN = 10


@dataclass(frozen=True)
class RecordProblem:
    """One error or warning of a run, told for people: who, what is wrong, who fixes it."""

    person: str
    kind: str  # "learners" or "staff", as in the record label "learners[3]"
    key_label: str  # "UPN" or "Staff code"
    key: str  # the UPN or staff code; empty once a run's UPNs are removed
    field: str
    what_is_wrong: str
    who_fixes: str


@dataclass(frozen=True)
class CountRow:
    label: str
    learners: int | None
    staff: int | None


@dataclass
class RunPeople:
    """Who a run added, closed and moved in: the people whose credentials a champion hands out
    (or collects), by name and username; each list at most PEOPLE_SHOWN long."""

    added: list[User] = field(default_factory=list)
    left: list[User] = field(default_factory=list)
    moved_in: list[User] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.left or self.moved_in)

    @property
    def groups(self) -> list[tuple[str, list[User]]]:
        return [
            (gettext("New accounts"), self.added),
            (gettext("Moved in from another school"), self.moved_in),
            (gettext("Leavers: accounts closed"), self.left),
        ]


@dataclass
class RunReport:
    """One run as its school's champion reads it."""

    run: ProvisioningRun
    status_explanation: str
    source: str
    counts: list[CountRow]
    errors: list[RecordProblem]
    warnings: list[RecordProblem]
    people: RunPeople = field(default_factory=RunPeople)


@dataclass
class ProvisioningOverview:
    """Everything on the Provisioning page of one school."""

    school: School
    runs: list[ProvisioningRun]
    # The latest run that was taken (applied or held): what the MIS should correct now.
    latest: ProvisioningRun | None
    latest_errors: list[RecordProblem] = field(default_factory=list)
    awaiting_leaver: list[MisLearner] = field(default_factory=list)
    roll_conflicts: list[MisLearner] = field(default_factory=list)
    held_moves: list[MisLearner] = field(default_factory=list)
    kept_apart: list[MisLearner] = field(default_factory=list)
    stale_usernames: list[User] = field(default_factory=list)


# --- Runs ---------------------------------------------------------------------------------------


def _school_runs(school: School):
    # The stored snapshot and the usernames of every record are not shown here.
    return ProvisioningRun.objects.filter(school=school).defer("snapshot", "accounts")


def _runs(school: School, *, limit: int) -> list[ProvisioningRun]:
    return list(_school_runs(school).order_by("-received_at", "-id")[:limit])


def run_for_champion(*, champion: User, pk: int) -> ProvisioningRun:
    """A run of the champion's own school; any other run answers 404."""
    school = champion_school(champion)
    try:
        return _school_runs(school).select_related("school").get(pk=pk)
    except ProvisioningRun.DoesNotExist:
        raise Http404 from None


def run_report_for_champion(*, champion: User, pk: int) -> RunReport:
    """One run of the champion's school, with its counts and problems in plain language."""
    run = run_for_champion(champion=champion, pk=pk)
    return RunReport(
        run=run,
        status_explanation=messages.status_explanation(status=run.status, dry_run=run.dry_run),
        source=messages.source_label(run.source),
        counts=run_counts(run),
        errors=run_problems(run, warnings=False),
        warnings=run_problems(run, warnings=True),
        people=run_people(run),
    )


PEOPLE_SHOWN = 500


def run_people(run: ProvisioningRun) -> RunPeople:
    """The accounts a run created, deactivated and moved in, read from the audit log and the
    account moves it recorded (three queries, whatever the school's size)."""
    if run.dry_run or run.status != ProvisioningRun.Status.SUCCEEDED:
        return RunPeople()

    def accounts(ids) -> list[User]:
        return list(
            User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username")[
                :PEOPLE_SHOWN
            ]
        )

    audited = AuditEntry.objects.filter(school_id=run.school_id, details__run=run.pk)
    target_ids = Cast("target_id", BigIntegerField())
    return RunPeople(
        added=accounts(audited.filter(action="account.created").annotate(a=target_ids).values("a")),
        left=accounts(
            audited.filter(action="account.deactivated").annotate(a=target_ids).values("a")
        ),
        moved_in=accounts(
            AccountMove.objects.filter(to_school_id=run.school_id, details__runs__to=run.pk).values(
                "account_id"
            )
        ),
    )


def run_counts(run: ProvisioningRun) -> list[CountRow]:
    """The run's counts as table rows; empty until the run has been applied (or dry-run)."""
    if not run.counts:
        return []
    learners, staff = run.counts.get("learners", {}), run.counts.get("staff", {})
    return [
        CountRow(label=str(label), learners=learners.get(name), staff=staff.get(name))
        for name, label in messages.COUNT_LABELS
    ]


def _kind_and_number(record: str) -> tuple[str, int]:
    """("learners", 4) for the record label "learners[3]" (people count from 1)."""
    kind, _bracket, rest = record.partition("[")
    try:
        return kind, int(rest.rstrip("]")) + 1
    except ValueError:
        return kind, 0


def run_problems(run: ProvisioningRun, *, warnings: bool = False) -> list[RecordProblem]:
    """The run's record errors (or warnings) in plain language, in the snapshot's order.

    Rejected records carry their name in ``record_names``. Warned records were taken, so a
    learner's name is found from their MIS record while the run still holds the UPN (one query).
    """
    problems = run.warnings if warnings else run.errors
    names = dict(run.record_names or {})
    unnamed_upns = {
        problem["key"]
        for problem in problems
        if problem.get("key")
        and problem.get("record", "").startswith("learners[")
        and problem["record"] not in names
    }
    names_by_upn = _learner_names(run.school_id, unnamed_upns)
    explained = []
    for problem in sorted(problems, key=lambda p: _kind_and_number(p.get("record", ""))):
        kind, number = _kind_and_number(problem.get("record", ""))
        if kind not in messages.WHO_FIXES:
            continue
        key = problem.get("key") or ""
        person = names.get(problem.get("record")) or names_by_upn.get(key)
        explained.append(
            RecordProblem(
                person=person or messages.unnamed_record(kind=kind, number=number),
                kind=kind,
                key_label=str(messages.KEY_LABELS[kind]),
                key=key,
                field=messages.field_label(problem.get("field", "")),
                what_is_wrong=messages.what_is_wrong(code=problem.get("code", ""), kind=kind),
                who_fixes=messages.who_fixes(
                    code=problem.get("code", ""), kind=kind, is_warning=warnings
                ),
            )
        )
    return explained


def _learner_names(school_id: int, upns: set[str]) -> dict[str, str]:
    if not upns:
        return {}
    by_hash = {upn_hash(upn): upn for upn in upns}
    return {
        by_hash[hashed]: f"{forename} {surname}"
        for hashed, forename, surname in MisLearner.objects.filter(
            school_id=school_id, upn_hash__in=by_hash
        ).values_list("upn_hash", "forename", "surname")
    }


# --- Learners between two schools ---------------------------------------------------------------


def learners_awaiting_leaver(*, school: School, today: date | None = None) -> list[MisLearner]:
    """Learners on roll here whose account is still at another school that has them on roll.

    Their account moves here as soon as that school records a leaving date. Each record comes
    with ``account.school`` loaded (one query in all).
    """
    on_roll = policy.on_roll_q(today=today or timezone.localdate())
    still_there = MisLearner.objects.filter(
        on_roll, account_id=OuterRef("account_id"), school_id=OuterRef("account__school")
    )
    return list(
        MisLearner.objects.filter(on_roll, school=school, account__school__isnull=False)
        .exclude(account__school=school)
        .filter(Exists(still_there))
        .select_related("account__school")
        .order_by("surname", "forename", "pk")
    )


def learners_in_roll_conflict(*, school: School, today: date | None = None) -> list[MisLearner]:
    """Learners whose account is here, on roll here, and on roll at another school as well.

    Each item is the *other* school's record (with ``school`` and ``account`` loaded), annotated
    with ``year_group_here``: one row per other school claiming the learner, in one query.
    """
    on_roll = policy.on_roll_q(today=today or timezone.localdate())
    here = MisLearner.objects.filter(on_roll, school=school, account_id=OuterRef("account_id"))
    return list(
        MisLearner.objects.filter(on_roll, account__school=school)
        .exclude(school=school)
        .filter(Exists(here))
        .annotate(year_group_here=Subquery(here.values("year_group")[:1]))
        .select_related("school", "account")
        .order_by("account__last_name", "account__first_name", "account_id", "school__dfes_number")
    )


def learners_in_held_moves(*, school: School) -> list[MisLearner]:
    """This school's records of learners whose account's move is held for the Hwb team: on roll
    here, claiming an account at another school, or left here, their account claimed by another
    school. Each is annotated with ``held_to`` (the claiming school's id: this one when the
    learner is joining) and ``held_since``; one query. Nothing of the other school's learner."""
    holds = HeldLearnerMove.objects.filter(
        Q(to_school_id=OuterRef("school_id")) | Q(from_school_id=OuterRef("school_id")),
        status=HeldLearnerMove.Status.OPEN,
        account_id=OuterRef("account_id"),
    )
    return list(
        MisLearner.objects.filter(school=school, account__isnull=False)
        .filter(Exists(holds))
        .annotate(
            held_to=Subquery(holds.values("to_school_id")[:1]),
            held_since=Subquery(holds.values("created_at")[:1]),
        )
        .order_by("surname", "forename", "pk")
    )


def learners_kept_apart(*, school: School) -> list[MisLearner]:
    """Learners on roll here whom the Hwb team kept apart from the account of their UPN: the
    school should check the UPN in its MIS (one query)."""
    kept = HeldLearnerMove.objects.filter(
        status=HeldLearnerMove.Status.KEPT_APART,
        to_school_id=OuterRef("school_id"),
        account__upn_hash=OuterRef("upn_hash"),
    )
    return list(
        MisLearner.objects.filter(policy.current_q(), school=school, account__isnull=True)
        .filter(Exists(kept))
        .order_by("surname", "forename", "pk")
    )


# --- The page -----------------------------------------------------------------------------------


def latest_sync_to_correct(school: School) -> ProvisioningRun | None:
    """The school's latest taken sync, when it has records its MIS should correct (for the
    champion's dashboard); one query."""
    taken = (ProvisioningRun.Status.SUCCEEDED, ProvisioningRun.Status.HELD)
    latest = (
        _school_runs(school)
        .filter(status__in=taken, dry_run=False)
        .order_by("-received_at", "-id")
        .first()
    )
    return latest if latest is not None and latest.errors else None


def provisioning_overview_for_champion(*, champion: User) -> ProvisioningOverview:
    """The Provisioning page of the champion's school; 404 for anyone who is not its champion."""
    school = champion_school(champion)
    runs = _runs(school, limit=RUNS_SHOWN)
    taken = {ProvisioningRun.Status.SUCCEEDED, ProvisioningRun.Status.HELD}
    latest = next((run for run in runs if run.status in taken and not run.dry_run), None)
    return ProvisioningOverview(
        school=school,
        runs=runs,
        latest=latest,
        latest_errors=run_problems(latest) if latest else [],
        awaiting_leaver=learners_awaiting_leaver(school=school),
        roll_conflicts=learners_in_roll_conflict(school=school),
        held_moves=learners_in_held_moves(school=school),
        kept_apart=learners_kept_apart(school=school),
        stale_usernames=accounts_with_stale_username(school),
    )


# --- The Provisioning Client's reads, by what its token may see --------------------------------


def run_for_client(*, token: ClientToken, run_id: int) -> ProvisioningRun:
    """A run of the token's school. Raises ProvisioningRun.DoesNotExist for no such run and
    PermissionDenied for another school's (the API words both in the contract's errors)."""
    run = (
        ProvisioningRun.objects.select_related("school").defer("snapshot").filter(pk=run_id).first()
    )
    if run is None:
        raise ProvisioningRun.DoesNotExist
    if run.school_id != token.school_id:
        raise PermissionDenied
    return run


def runs_for_client(*, token: ClientToken, limit: int) -> list[ProvisioningRun]:
    """The token's school's most recent runs, newest first."""
    return list(
        ProvisioningRun.objects.select_related("school")
        .filter(school_id=token.school_id)
        .defer("snapshot")
        .order_by("-received_at", "-id")[:limit]
    )


# --- For the services and the floors above -------------------------------------------------------


def last_successful_run(school) -> ProvisioningRun | None:
    """The school's last applied (not dry) run: what the transfer rules read."""
    return (
        ProvisioningRun.objects.filter(
            school=school, status=ProvisioningRun.Status.SUCCEEDED, dry_run=False
        )
        .order_by("-finished_at", "-pk")
        .first()
    )


def staff_record_of(*, school, account) -> MisStaff | None:
    """The school's MIS staff record that belongs to ``account`` (the latest applied run's)."""
    return MisStaff.objects.filter(school=school, account=account).order_by("-pk").first()
