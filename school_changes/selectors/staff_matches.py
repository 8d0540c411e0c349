"""Reads of staff match lists: which schools and accounts a notice is about, the rows of a
list, and the officer's review page."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from provisioning import matching
from provisioning.models import MisStaff
from provisioning.staff_moves import NEVER_MOVED_KINDS
from school_changes.models import SchoolNotice, StaffMatch, StaffMatchList
from schools.models import School

Decision = StaffMatch.Decision
Outcome = StaffMatch.Outcome
ListStatus = StaffMatchList.Status


def reason_text(code: str) -> str:
    """A matching reason in the reader's words (an unknown code is shown plainly)."""
    return str(matching.REASON_LABELS.get(code, code.replace("_", " ")))


def notice_target_schools(notice: SchoolNotice) -> list[School]:
    """Where the staff go: a merger's new (or continuing) school, a closure's receiving schools."""
    if notice.kind == SchoolNotice.Kind.MERGER:
        school = notice.school or notice.continuing_school
        return [school] if school else []
    if notice.kind == SchoolNotice.Kind.CLOSURE:
        return list(notice.receiving_schools.order_by("dfes_number"))
    return []


def notice_closing_schools(notice: SchoolNotice) -> list[School]:
    """Where the staff come from (a continuing school is a target, never a closing school)."""
    targets = {school.pk for school in notice_target_schools(notice)}
    return [
        school
        for school in notice.closing_schools.order_by("dfes_number")
        if school.pk not in targets
    ]


def movable_accounts(closing: list[School]):
    """Closing-school accounts that could move: active, or deactivated by their leaving date
    and not yet deleted (the same accounts Account Transfer accepts)."""
    return User.objects.filter(school__in=closing).filter(
        Q(is_active=True)
        | Q(
            deactivation_reason=User.DeactivationReason.LEFT,
            deletion_due_at__gt=timezone.now(),
        )
    )


def staff_matches_may_propose(notice: SchoolNotice) -> bool:
    """Whether matches can be (re)proposed now: an in-progress merger or closure whose list,
    if any, is still with the local authority. (Whether the schools have run is checked then.)"""
    if notice.kind not in (SchoolNotice.Kind.MERGER, SchoolNotice.Kind.CLOSURE):
        return False
    if notice.status != SchoolNotice.Status.IN_PROGRESS:
        return False
    match_list = StaffMatchList.objects.filter(notice=notice).first()
    return match_list is None or match_list.status == ListStatus.PROPOSED


def staff_match_options(match: StaffMatch) -> list[int]:
    """The record ids the reviewer may choose for a row: the proposal, then the alternatives."""
    options = [match.proposed_record_id] if match.proposed_record_id else []
    for key, _score in match.alternatives or []:
        if key not in options:
            options.append(key)
    return options


def list_version(match_list: StaffMatchList) -> str:
    """What a review form was drawn from: a re-proposal makes every older form stale."""
    return f"{match_list.pk}:{match_list.proposed_at.timestamp():.6f}"


def staff_matches_duplicate(rows) -> tuple[StaffMatch, StaffMatch] | None:
    """The first two rows that chose the same record, if any."""
    seen: dict[int, StaffMatch] = {}
    for row in rows:
        if row.record_id is None:
            continue
        if row.record_id in seen:
            return seen[row.record_id], row
        seen[row.record_id] = row
    return None


def rows_to_move(match_list: StaffMatchList):
    """Rows the local authority chose a record for and the job has not finished yet."""
    return match_list.matches.filter(
        record__isnull=False,
        decision__in=(Decision.CONFIRMED, Decision.CORRECTED),
        outcome=Outcome.WAITING,
    )


def notice_for_officer(*, officer: User, pk: int) -> SchoolNotice:
    """A merger or closure notice of the officer's own authority, or 404 for anyone else."""
    if (
        not officer.is_authenticated
        or not officer.is_active
        or officer.kind != User.Kind.LA_OFFICER
        or not officer.local_authority_id
    ):
        raise Http404
    notice = SchoolNotice.objects.filter(
        pk=pk,
        local_authority_id=officer.local_authority_id,
        kind__in=(SchoolNotice.Kind.MERGER, SchoolNotice.Kind.CLOSURE),
    ).first()
    if notice is None:
        raise Http404
    return notice


@dataclass
class ReviewRow:
    """One row of the review page: the match, and the records the officer may choose from."""

    match: StaffMatch
    options: list[tuple[MisStaff, int]]  # (record, score), the proposal first
    reasons: list[str]  # what agrees, in words
    doubts: list[str] = field(default_factory=list)  # what makes it doubtful, in words


@dataclass
class MatchReview:
    """Everything the review page shows, read in a fixed number of queries."""

    notice: SchoolNotice
    match_list: StaffMatchList | None
    rows: list[ReviewRow] = field(default_factory=list)
    never_moved: list[User] = field(default_factory=list)
    skipped: list[StaffMatch] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    may_propose: bool = False


def match_review(*, notice: SchoolNotice) -> MatchReview:
    """The notice's list, its rows with every record offered, and the accounts never moved."""
    match_list = StaffMatchList.objects.filter(notice=notice).first()
    review = MatchReview(
        notice=notice, match_list=match_list, may_propose=staff_matches_may_propose(notice)
    )
    closing = notice_closing_schools(notice)
    review.never_moved = list(
        movable_accounts(closing)
        .filter(kind__in=NEVER_MOVED_KINDS)
        .select_related("school")
        .order_by("school_id", "last_name", "first_name")
    )
    if match_list is None:
        return review
    matches = list(
        match_list.matches.select_related(
            "account", "from_school", "proposed_record__school", "record__school"
        )
    )
    alternative_ids = {key for match in matches for key, _score in match.alternatives or []}
    alternatives = {
        record.pk: record
        for record in MisStaff.objects.filter(pk__in=alternative_ids).select_related("school")
    }
    for match in matches:
        options = []
        if match.proposed_record is not None:
            options.append((match.proposed_record, match.score))
        for key, score in match.alternatives or []:
            record = alternatives.get(key)
            if record is not None and record.pk != match.proposed_record_id:
                options.append((record, score))
        review.rows.append(
            ReviewRow(
                match=match,
                options=options,
                reasons=[
                    reason_text(code)
                    for code in match.reasons or []
                    if code not in matching.DOUBT_REASONS
                    or match.confidence == StaffMatch.Confidence.SURE
                ],
                doubts=[]
                if match.confidence == StaffMatch.Confidence.SURE
                else [
                    reason_text(code)
                    for code in match.reasons or []
                    if code in matching.DOUBT_REASONS
                ],
            )
        )
    review.skipped = [match for match in matches if match.outcome == Outcome.SKIPPED]
    review.counts = {
        confidence: sum(1 for match in matches if match.confidence == confidence)
        for confidence in StaffMatch.Confidence.values
    }
    return review
