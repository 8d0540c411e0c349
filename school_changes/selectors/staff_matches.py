"""Reads of staff match lists: the officer's notice and its review page."""

from dataclasses import dataclass, field

from django.http import Http404

from accounts.models import User
from provisioning.models import MisStaff
from provisioning.staff_moves import NEVER_MOVED_KINDS
from school_changes.models import SchoolNotice, StaffMatch, StaffMatchList
from school_changes.services.staff_matches import (
    Outcome,
    movable_accounts,
    notice_closing_schools,
    reason_text,
    staff_matches_may_propose,
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
    reasons: list[str]


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
                reasons=[reason_text(code) for code in match.reasons or []],
            )
        )
    review.skipped = [match for match in matches if match.outcome == Outcome.SKIPPED]
    review.counts = {
        confidence: sum(1 for match in matches if match.confidence == confidence)
        for confidence in StaffMatch.Confidence.values
    }
    return review
