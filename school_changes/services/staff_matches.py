"""Staff of merging and closing schools: proposed matches, the local authority's review, the Hwb
team's approval, and the batch job that moves every confirmed account to its new school.

A person always confirms a match before an account moves (a name is never enough), and every
move goes through ``provisioning.staff_moves.staff_account_take_over``, as Proceed with transfer
does.
"""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from provisioning import matching
from provisioning.models import MisStaff
from provisioning.selectors import last_successful_run
from school_changes.emails import hwb_team_tell, officers_tell
from school_changes.models import SchoolNotice, StaffMatch, StaffMatchList
from school_changes.selectors.staff_matches import (
    list_version,
    movable_accounts,
    notice_closing_schools,
    notice_target_schools,
    rows_to_move,
    staff_match_options,
    staff_matches_duplicate,
)
from school_changes.services.notices import notice_event_add
from schools.models import School

ListStatus = StaffMatchList.Status
Decision = StaffMatch.Decision
Outcome = StaffMatch.Outcome
SkipReason = StaffMatch.SkipReason
NOTE_MAX = 2000
# The kinds of closing-school account that are never moved (listed apart, never matched).
# MIS roles whose records are never offered as a match.
NEVER_MATCHED_ROLES = (MisStaff.Role.GOVERNOR, MisStaff.Role.ITE_STUDENT)


class MergerError(Exception):
    """A merger rule said no; the message says what is wrong and who can put it right."""


# --- Which schools and people a notice is about -------------------------------------------------


# --- Proposing --------------------------------------------------------------------------------


def _current_staff_records(targets: list[School], *, today: date):
    """The target schools' current staff records (no governors or ITE students), with an
    account: what the MIS of the new school says about who works there."""
    return (
        MisStaff.objects.filter(school__in=targets, absent=False, account__isnull=False)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
        .exclude(role__in=NEVER_MATCHED_ROLES)
    )


@transaction.atomic
def staff_matches_propose(
    *, notice: SchoolNotice, actor: User, ip_address: str | None = None
) -> StaffMatchList:
    """Propose a new-school staff record for every staff account of the closing schools.

    Creates the notice's list, or replaces its rows while the local authority still has it.
    Governors and ITE students are never matched (the review page lists them apart).
    """
    notice = SchoolNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.kind not in (SchoolNotice.Kind.MERGER, SchoolNotice.Kind.CLOSURE):
        raise MergerError(_("Staff are matched only for mergers and closures."))
    if notice.status != SchoolNotice.Status.IN_PROGRESS:
        raise MergerError(
            _("Staff can be matched once the Hwb team is setting up this notice; it is %(status)s.")
            % {"status": notice.get_status_display().lower()}
        )
    targets = notice_target_schools(notice)
    if not targets:
        raise MergerError(
            _(
                "The Hwb team has not recorded the school the staff go to yet. Ask the Hwb "
                "service desk to record it on the notice."
            )
        )
    for school in targets:
        if last_successful_run(school) is None:
            raise MergerError(
                _(
                    "%(school)s's Provisioning Client has not run successfully yet, so Hwb does "
                    "not know its staff. Propose the matches after its first successful run."
                )
                % {"school": school.name}
            )
    closing = notice_closing_schools(notice)
    if not closing:
        raise MergerError(_("This notice names no closing school whose staff could move."))
    match_list = StaffMatchList.objects.select_for_update().filter(notice=notice).first()
    if match_list is not None and match_list.status != ListStatus.PROPOSED:
        raise MergerError(
            _("The matches have been submitted already: %(status)s.")
            % {"status": match_list.get_status_display()}
        )

    accounts = list(
        movable_accounts(closing).filter(kind=User.Kind.STAFF).order_by("school_id", "username")
    )
    old_records: dict[int, MisStaff] = {}
    for record in MisStaff.objects.filter(school__in=closing, account__in=accounts).order_by("pk"):
        old_records[record.account_id] = record  # the latest record wins
    account_ids = {account.pk for account in accounts}
    records = [
        record
        for record in _current_staff_records(targets, today=timezone.localdate()).order_by("pk")
        if record.account_id not in account_ids
    ]
    proposals = matching.matches_propose(
        [matching.account_person(account, old_records.get(account.pk)) for account in accounts],
        [matching.record_person(record) for record in records],
    )

    now = timezone.now()
    if match_list is None:
        match_list = StaffMatchList.objects.create(notice=notice, proposed_at=now)
    else:
        match_list.matches.all().delete()
        match_list.proposed_at = now
        match_list.hwb_note = ""
        match_list.save(update_fields=["proposed_at", "hwb_note"])
    record_ids = {record.pk for record in records}
    by_account = {account.pk: account for account in accounts}
    rows = []
    for proposal in proposals:
        account = by_account[proposal.account_key]
        record_id = proposal.record_key if proposal.record_key in record_ids else None
        confidence = proposal.confidence if record_id else StaffMatch.Confidence.NONE
        # A sure match starts confirmed and no match starts as "do not move"; the officer can
        # change either. Doubtful matches and clashes wait for an explicit choice.
        if confidence == StaffMatch.Confidence.SURE:
            decision, chosen = Decision.CONFIRMED, record_id
        elif confidence == StaffMatch.Confidence.NONE:
            decision, chosen = Decision.REJECTED, None
        else:
            decision, chosen = Decision.PENDING, None
        rows.append(
            StaffMatch(
                match_list=match_list,
                account=account,
                account_username=account.username,
                from_school_id=account.school_id,
                proposed_record_id=record_id,
                score=max(0, min(100, int(proposal.score))),
                confidence=confidence,
                reasons=list(proposal.reasons),
                alternatives=[
                    [int(key), int(score)]
                    for key, score in proposal.alternatives
                    if key in record_ids and key != record_id
                ],
                decision=decision,
                record_id=chosen,
            )
        )
    StaffMatch.objects.bulk_create(rows)
    counts = {
        confidence: sum(1 for row in rows if row.confidence == confidence)
        for confidence in StaffMatch.Confidence.values
    }
    audit_record(
        actor=actor,
        action="merger.matches_proposed",
        target=match_list,
        school=targets[0],
        ip_address=ip_address,
        details={"notice": notice.pk, "accounts": len(rows), "records": len(records), **counts},
    )
    notice_event_add(notice, "matches_proposed", actor)
    officers_tell(notice, "merger_matches_ready", {"match_list": match_list, "counts": counts})
    return match_list


# --- The local authority's review ---------------------------------------------------------------


@transaction.atomic
def staff_matches_review(
    *,
    match_list_id: int,
    officer: User,
    version: str,
    choices: dict[int, int | None],
    submit: bool,
    ip_address: str | None = None,
) -> StaffMatchList:
    """Save the officer's choices (row id -> chosen record id, or None for "do not move"; a row
    left out stays undecided), and with ``submit`` send the list to the Hwb team.

    Every choice is checked here again: a record the row did not offer, a row of another list,
    or a form drawn before the matches were proposed again changes nothing.
    """
    match_list = (
        StaffMatchList.objects.select_for_update(of=("self",))
        .select_related("notice")
        .get(pk=match_list_id)
    )
    notice = match_list.notice
    if officer.kind != User.Kind.LA_OFFICER or officer.local_authority_id != (
        notice.local_authority_id
    ):
        raise MergerError(_("Only the local authority's officers review these matches."))
    if match_list.status != ListStatus.PROPOSED:
        raise MergerError(
            _("These matches have been submitted already: %(status)s.")
            % {"status": match_list.get_status_display()}
        )
    if version != list_version(match_list):
        raise MergerError(
            _(
                "The matches were proposed again after you opened this page, so nothing was "
                "saved. Review the new proposals below."
            )
        )
    rows = list(match_list.matches.select_for_update(of=("self",)).select_related("account"))
    by_id = {row.pk: row for row in rows}
    if set(choices) - set(by_id):
        raise MergerError(_("This page is out of date: nothing was saved. Review it again."))
    for row_id, record_id in choices.items():
        if record_id is not None and record_id not in staff_match_options(by_id[row_id]):
            raise MergerError(
                _("That staff record was not offered for %(username)s: nothing was saved.")
                % {"username": by_id[row_id].account_username}
            )
    for row in rows:
        if row.pk not in choices:
            row.decision, row.record_id = Decision.PENDING, None
            continue
        record_id = choices[row.pk]
        row.record_id = record_id
        if record_id is None:
            row.decision = Decision.REJECTED
        elif record_id == row.proposed_record_id:
            row.decision = Decision.CONFIRMED
        else:
            row.decision = Decision.CORRECTED
    if submit:
        undecided = [row.account_username for row in rows if row.decision == Decision.PENDING]
        if undecided:
            raise MergerError(
                _("Choose a staff record, or Do not move this account, for: %(usernames)s.")
                % {"usernames": ", ".join(undecided)}
            )
        duplicate = staff_matches_duplicate(rows)
        if duplicate:
            first, second = duplicate
            raise MergerError(
                _(
                    "%(first)s and %(second)s are both matched to the same staff record. One "
                    "record belongs to one person: choose another record for one of them, or "
                    "Do not move this account."
                )
                % {"first": first.account_username, "second": second.account_username}
            )
    StaffMatch.objects.bulk_update(rows, ["decision", "record"])
    audit_record(
        actor=officer,
        action="merger.matches_submitted" if submit else "merger.matches_saved",
        target=match_list,
        ip_address=ip_address,
        details={
            "notice": notice.pk,
            **{
                decision: sum(1 for row in rows if row.decision == decision)
                for decision in Decision.values
            },
        },
    )
    if submit:
        match_list.status = ListStatus.SUBMITTED
        match_list.submitted_by = officer
        match_list.submitted_by_username = officer.username
        match_list.submitted_at = timezone.now()
        match_list.save(
            update_fields=["status", "submitted_by", "submitted_by_username", "submitted_at"]
        )
        notice_event_add(notice, "matches_submitted", officer)
        hwb_team_tell(
            match_list,
            "merger_submitted",
            {"to_move": sum(1 for row in rows if row.record_id is not None)},
        )
    return match_list


# --- The Hwb team's decision ----------------------------------------------------------------


@transaction.atomic
def staff_match_list_return(
    *, match_list_id: int, actor: User, note: str, ip_address: str | None = None
) -> StaffMatchList:
    """Send a submitted list back to the local authority with the Hwb team's note."""
    note = (note or "").strip()
    if not note or len(note) > NOTE_MAX:
        raise MergerError(
            _(
                "Write a note of up to %(max)d characters saying what the local authority "
                "should change."
            )
            % {"max": NOTE_MAX}
        )
    match_list = (
        StaffMatchList.objects.select_for_update(of=("self",))
        .select_related("notice")
        .get(pk=match_list_id)
    )
    if match_list.status != ListStatus.SUBMITTED:
        raise MergerError(
            _("Only a submitted list can be returned; this one is: %(status)s.")
            % {"status": match_list.get_status_display()}
        )
    match_list.status = ListStatus.PROPOSED
    match_list.hwb_note = note
    match_list.save(update_fields=["status", "hwb_note"])
    audit_record(
        actor=actor,
        action="merger.matches_returned",
        target=match_list,
        ip_address=ip_address,
        details={"notice": match_list.notice_id, "note": note[:500]},
    )
    notice_event_add(match_list.notice, "matches_returned", actor, note)
    officers_tell(match_list.notice, "merger_returned", {"match_list": match_list, "note": note})
    return match_list


@transaction.atomic
def staff_match_list_approve(
    *, match_list_id: int, actor: User, ip_address: str | None = None
) -> StaffMatchList:
    """Approve a submitted list for its notice's date: the accounts move on that day (the daily
    job queues the move), or at once if the date has come; nobody is detached from a school
    that is still open."""
    match_list = (
        StaffMatchList.objects.select_for_update(of=("self",))
        .select_related("notice")
        .get(pk=match_list_id)
    )
    if match_list.status != ListStatus.SUBMITTED:
        raise MergerError(
            _("Only a submitted list can be approved; this one is: %(status)s.")
            % {"status": match_list.get_status_display()}
        )
    if match_list.notice.status != SchoolNotice.Status.IN_PROGRESS:
        raise MergerError(
            _("The notice is %(status)s: no account can be moved for it.")
            % {"status": match_list.notice.get_status_display().lower()}
        )
    match_list.status = ListStatus.APPROVED
    match_list.approved_by = actor
    match_list.approved_by_username = actor.username
    match_list.approved_at = timezone.now()
    match_list.move_on = match_list.notice.effective_date
    match_list.to_move = rows_to_move(match_list).count()
    match_list.moved = match_list.skipped = 0
    match_list.save(
        update_fields=[
            "status",
            "approved_by",
            "approved_by_username",
            "approved_at",
            "move_on",
            "to_move",
            "moved",
            "skipped",
        ]
    )
    audit_record(
        actor=actor,
        action="merger.matches_approved",
        target=match_list,
        ip_address=ip_address,
        details={
            "notice": match_list.notice_id,
            "to_move": match_list.to_move,
            "move_on": str(match_list.move_on),
        },
    )
    notice_event_add(match_list.notice, "matches_approved", actor)
    if not match_list.move_is_due():
        return match_list  # staff_matches_move_due queues it on the day
    # Robust: a broker that cannot be reached must not turn the recorded approval into an error;
    # the list stays approved and "Run the move job again" in the admin queues the job once Redis
    # is back.
    transaction.on_commit(lambda: staff_matches_move_enqueue(match_list.pk), robust=True)
    return match_list


@transaction.atomic
def staff_matches_move_again(
    *, match_list_id: int, actor: User, ip_address: str | None = None
) -> StaffMatchList:
    """Queue the move job again for an approved list that stopped part-way (a worker lost, an
    error put right): it carries on where it stopped and moves nobody twice."""
    match_list = StaffMatchList.objects.select_for_update().get(pk=match_list_id)
    if match_list.status != ListStatus.APPROVED:
        raise MergerError(
            _("Only a list whose accounts are moving can be moved again; this one is: %(status)s.")
            % {"status": match_list.get_status_display()}
        )
    if not match_list.move_is_due():
        raise MergerError(
            _("The accounts move on %(date)s, the notice's date; the daily job moves them then.")
            % {"date": date_format(match_list.move_on, "j F Y")}
        )
    audit_record(
        actor=actor,
        action="merger.move_requeued",
        target=match_list,
        ip_address=ip_address,
        details={"moved": match_list.moved, "skipped": match_list.skipped},
    )
    transaction.on_commit(lambda: staff_matches_move_enqueue(match_list.pk), robust=True)
    return match_list


def staff_matches_move_due(*, today: date | None = None) -> list[int]:
    """The daily job: queue the move of every approved list whose date has come (after the
    schools' own change of status that night). A list already moving or moved is queued
    again harmlessly: the move job moves nobody twice."""
    today = today or timezone.localdate()
    due = list(
        StaffMatchList.objects.filter(status=ListStatus.APPROVED)
        .filter(Q(move_on__isnull=True) | Q(move_on__lte=today))
        .order_by("move_on", "pk")
        .values_list("pk", flat=True)
    )
    for match_list_id in due:
        staff_matches_move_enqueue(match_list_id)
    return due


def staff_matches_move_enqueue(match_list_id: int) -> None:
    from school_changes.tasks import staff_matches_move  # the task module imports this one

    staff_matches_move.delay(match_list_id)
