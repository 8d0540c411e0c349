"""The merger move job: every confirmed row of an approved staff match list, in batches, each
move exactly as Proceed with transfer does it; a row that can no longer move is skipped with its
reason. Outcomes are saved per row, so running it twice moves nobody twice."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import AccountMove, User
from accounts.services import audit_record
from provisioning.models import MisStaff
from provisioning.staff_moves import StaffMoveRefused, staff_account_take_over
from school_changes.emails import hwb_team_tell, officers_tell
from school_changes.models import StaffMatch, StaffMatchList
from school_changes.selectors.staff_matches import notice_target_schools, rows_to_move
from school_changes.services.notices import notice_event_add
from school_changes.services.staff_matches import NEVER_MATCHED_ROLES
from schools.models import School

ListStatus = StaffMatchList.Status
Decision = StaffMatch.Decision
Outcome = StaffMatch.Outcome
SkipReason = StaffMatch.SkipReason


def _skip_reason(
    row: StaffMatch,
    *,
    account: User | None,
    record: MisStaff | None,
    fresh: User | None,
    targets: set[int],
    listed: set[int],
    used: set[int],
    now,
) -> str:
    """Why this row cannot move now (a ``StaffMatch.SkipReason``), or "" when it can."""
    if account is None:
        return SkipReason.ACCOUNT_GONE
    if account.kind != User.Kind.STAFF:
        return {
            User.Kind.GOVERNOR: SkipReason.GOVERNOR,
            User.Kind.ITE_STUDENT: SkipReason.ITE_STUDENT,
        }.get(account.kind, SkipReason.NOT_STAFF)
    if account.school_id != row.from_school_id:
        return SkipReason.MOVED_MEANWHILE
    if not account.is_active and (
        account.deactivation_reason != User.DeactivationReason.LEFT
        or account.deletion_due_at is None
        or account.deletion_due_at <= now
    ):
        return SkipReason.CLOSED
    if record is None or record.school_id not in targets:
        return SkipReason.RECORD_GONE
    if record.absent or (record.leaving_date and record.leaving_date <= timezone.localdate()):
        return SkipReason.RECORD_LEAVER
    if record.role in NEVER_MATCHED_ROLES:
        return SkipReason.RECORD_ROLE
    if (
        fresh is None
        or fresh.pk in listed
        or record.pk in used
        or fresh.deactivation_reason == User.DeactivationReason.REPLACED
    ):
        return SkipReason.RECORD_TAKEN
    if fresh.kind != User.Kind.STAFF or fresh.school_id != record.school_id:
        return SkipReason.RECORD_NOT_STAFF
    return ""


def _move_batch(match_list_id: int, batch_size: int) -> int:
    """Move (or skip) the next batch of confirmed rows in one transaction; how many it did."""
    with transaction.atomic():
        match_list = (
            StaffMatchList.objects.select_for_update(of=("self",))
            .select_related("notice", "approved_by")
            .get(pk=match_list_id)
        )
        if match_list.status != ListStatus.APPROVED:
            return 0
        rows = list(
            rows_to_move(match_list)
            .select_for_update(of=("self",))
            .select_related("from_school")
            .order_by("pk")[:batch_size]
        )
        if not rows:
            return 0
        targets = {school.pk for school in notice_target_schools(match_list.notice)}
        listed = set(
            match_list.matches.filter(account__isnull=False).values_list("account_id", flat=True)
        )
        records = {
            record.pk: record
            for record in MisStaff.objects.select_for_update().filter(
                pk__in=[row.record_id for row in rows]
            )
        }
        account_ids = [row.account_id for row in rows if row.account_id] + [
            record.account_id for record in records.values() if record.account_id
        ]
        accounts = {
            account.pk: account
            for account in User.objects.select_for_update()
            .filter(pk__in=account_ids)
            .order_by("pk")
        }
        schools = {school.pk: school for school in School.objects.filter(pk__in=targets)}
        now = timezone.now()
        moved = skipped = 0
        used: set[int] = set()  # records taken by a move in this batch
        for row in rows:
            account = accounts.get(row.account_id)
            record = records.get(row.record_id)
            fresh = accounts.get(record.account_id) if record and record.account_id else None
            reason = _skip_reason(
                row,
                account=account,
                record=record,
                fresh=fresh,
                targets=targets,
                listed=listed,
                used=used,
                now=now,
            )
            if not reason:
                try:
                    with transaction.atomic():
                        staff_account_take_over(
                            previous=account,
                            replaced=fresh,
                            new_school=schools[record.school_id],
                            reason=AccountMove.Reason.MERGER,
                            actor=match_list.approved_by,
                            details={
                                "match_list": match_list.pk,
                                "notice": match_list.notice_id,
                                "replaces": fresh.username,
                            },
                        )
                except StaffMoveRefused:  # the kind rule, checked again under the lock
                    reason = SkipReason.NOT_STAFF
            if reason:
                row.outcome, row.skip_reason = Outcome.SKIPPED, reason
                skipped += 1
            else:
                row.outcome, row.moved_at = Outcome.MOVED, now
                used.add(record.pk)
                account.school_id = record.school_id  # a later row sees where it is now
                moved += 1
        StaffMatch.objects.bulk_update(rows, ["outcome", "skip_reason", "moved_at"])
        match_list.moved += moved
        match_list.skipped += skipped
        match_list.save(update_fields=["moved", "skipped"])
        return len(rows)


def staff_matches_move(*, match_list_id: int) -> StaffMatchList:
    """Move every confirmed account of an approved list, in batches of HWB_MERGER_BATCH_SIZE.

    Each batch is one transaction with its rows locked, and each row is checked again before it
    moves (the account still at its closing school, not a governor or ITE student, the record
    still at the new school with its own fresh account); anything else is skipped with a plain
    reason. A row's outcome is written with its move, so running the job again, or a task
    delivered twice, moves nobody twice. The last batch completes the list and sends the
    summary to the local authority and the Hwb team.
    """
    with transaction.atomic():
        match_list = StaffMatchList.objects.select_for_update().get(pk=match_list_id)
        if match_list.status != ListStatus.APPROVED or not match_list.move_is_due():
            return match_list  # completed, not approved, or before its date: nothing to do
        match_list.job_runs += 1
        match_list.started_at = match_list.started_at or timezone.now()
        match_list.save(update_fields=["job_runs", "started_at"])
    # The job's texts (skip reasons, the Hwb team's email) are written in the default language.
    with translation.override(settings.LANGUAGE_CODE):
        while _move_batch(match_list_id, max(1, settings.HWB_MERGER_BATCH_SIZE)):
            pass
        return _complete(match_list_id)


@transaction.atomic
def _complete(match_list_id: int) -> StaffMatchList:
    match_list = (
        StaffMatchList.objects.select_for_update(of=("self",))
        .select_related("notice")
        .get(pk=match_list_id)
    )
    if match_list.status != ListStatus.APPROVED or rows_to_move(match_list).exists():
        return match_list
    match_list.status = ListStatus.COMPLETED
    match_list.finished_at = timezone.now()
    match_list.save(update_fields=["status", "finished_at"])
    skipped = list(
        match_list.matches.filter(outcome=Outcome.SKIPPED)
        .select_related("from_school")
        .order_by("account_username")
    )
    not_moved = match_list.matches.filter(decision=Decision.REJECTED).count()
    audit_record(
        actor=None,
        action="merger.matches_moved",
        target=match_list,
        details={
            "notice": match_list.notice_id,
            "moved": match_list.moved,
            "skipped": match_list.skipped,
            "not_moved": not_moved,
        },
    )
    notice_event_add(match_list.notice, "accounts_moved", None)
    context = {"match_list": match_list, "skipped": skipped, "not_moved": not_moved}
    officers_tell(match_list.notice, "merger_completed", context)
    hwb_team_tell(match_list, "merger_completed", context)
    return match_list
