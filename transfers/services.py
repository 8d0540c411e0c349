"""Writes of Account Transfer: submitting, deciding, proceeding, cancelling, reminding, expiring.

Proceeding moves the account through ``provisioning.staff_moves.staff_account_take_over``, the
one move of a member of staff's account every path uses.

The rules (``rules``) are checked at submit and again at proceed; each failure is a
TransferError whose message says what is wrong and who can put it right.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import email_enqueue
from accounts.models import AccountMove, AccountMoveClaim, User
from accounts.selectors import interface_language
from accounts.services import (
    AccountClaimed,
    account_move_claim_close,
    account_move_claim_open,
    audit_record,
)
from core.links import link_token
from core.models import timeline_event_add
from core.text import text_clean, writing_language
from provisioning import matching
from provisioning.staff_moves import StaffMoveRefused, staff_account_take_over
from schools.selectors import school_by_dfes_number

from .models import TransferEvent, TransferRequest
from .rules import (
    TransferError,
    claimed_refusal,
    transfer_approvers,
    transfer_identity,
    transfer_previous_account,
    transfer_rules_check,
    transfer_same_person_check,
)
from .selectors import DECISION_LINK, transfer_may_decide

Status = TransferRequest.Status
MESSAGE_MAX = 2000
REASON_MAX = 500


# --- Submitting -----------------------------------------------------------------------------------


ROUTE = AccountMoveClaim.Route.TRANSFER


def _claim_close(transfer: TransferRequest) -> None:
    """The request has ended: its claim on the previous account goes with it."""
    account_move_claim_close(
        account=transfer.previous_account, requester=transfer.requester, route=ROUTE
    )


def _event(transfer: TransferRequest, action: str, actor: User | None, note: str = "") -> None:
    timeline_event_add(TransferEvent, subject=transfer, action=action, actor=actor, note=note)


@transaction.atomic
def transfer_request_submit(
    *,
    requester: User,
    previous_dfes: str,
    previous_username: str,
    message: str,
    headteacher_confirmed: bool,
    ip_address: str | None = None,
) -> TransferRequest:
    """Check every rule and send the request to whoever decides it. The requester must be the
    previous account's holder as far as both schools' MIS records tell (no match is refused;
    a doubtful match goes to whoever decides, who checks both people)."""
    if not headteacher_confirmed:
        raise TransferError(_("Confirm the headteacher's details of your previous school."))
    message = text_clean(message, limit=MESSAGE_MAX + 1)
    if not message or len(message) > MESSAGE_MAX:
        raise TransferError(
            _("Write a message to the headteacher of up to %(max)d characters.")
            % {"max": MESSAGE_MAX}
        )
    requester = User.objects.select_for_update().get(pk=requester.pk)
    previous_school = school_by_dfes_number(previous_dfes)
    previous_account = transfer_previous_account(
        requester=requester, previous_school=previous_school, previous_username=previous_username
    )
    transfer_rules_check(
        requester=requester,
        previous_school=previous_school,
        previous_account=previous_account,
        new_request=True,
    )
    # Not "no match": transfer_previous_account has refused that with its one message.
    judgement = transfer_identity(
        requester=requester, previous_school=previous_school, previous_account=previous_account
    )
    approver, deciders = transfer_approvers(
        previous_school=previous_school, previous_account=previous_account
    )
    if not deciders:
        raise TransferError(
            _(
                "%(school)s has no headteacher in Hwb to decide, and its local authority has "
                "no officer in Hwb. Ask the Hwb service desk (hwb@gov.wales) to help."
            )
            % {"school": previous_school.name}
        )
    try:
        with transaction.atomic():
            transfer = TransferRequest.objects.create(
                requester=requester,
                requester_username=requester.username,
                new_school_id=requester.school_id,
                previous_school=previous_school,
                previous_account=previous_account,
                previous_username=previous_account.username,
                previous_holder_name=previous_account.get_full_name(),
                match_confidence=judgement.confidence,
                match_reasons=list(judgement.reasons),
                message=message,
                message_language=writing_language(),
                approver=approver,
            )
    except IntegrityError:  # a second submit racing the first: say which side was taken
        if TransferRequest.objects.filter(
            status__in=TransferRequest.OPEN, requester=requester
        ).exists():
            raise TransferError(
                _("You already have an open transfer request. Open it from your dashboard.")
            ) from None
        raise TransferError(
            _("There is already an open transfer request for the account %(username)s.")
            % {"username": previous_account.username}
        ) from None
    try:
        account_move_claim_open(account=previous_account, requester=requester, route=ROUTE)
    except AccountClaimed as claimed:  # another route holds one of the two accounts
        raise TransferError(claimed_refusal(claimed.route, previous_account)) from None
    _event(transfer, "submitted", requester)
    audit_record(
        actor=requester,
        action="transfer.submitted",
        target=transfer,
        school=requester.school,
        ip_address=ip_address,
        details={
            "previous_school": previous_school.dfes_number,
            "approver": approver,
            "match": judgement.confidence,
            "match_reasons": list(judgement.reasons),
        },
    )
    _ask_deciders(transfer, deciders, template="transfer_request")
    return transfer


def transfer_decision_link(transfer: TransferRequest) -> str:
    """The absolute, signed link in a decider's email (one request, single use, expiring)."""
    token = link_token(purpose=DECISION_LINK, pk=transfer.pk, nonce=transfer.link_nonce)
    return settings.HWB_PORTAL_URL + reverse("transfers:decision_link", args=[token])


def _ask_deciders(transfer: TransferRequest, deciders: list[User], *, template: str) -> None:
    link = transfer_decision_link(transfer)
    for decider in deciders:
        email_enqueue(
            to=decider.email,
            template=template,
            context={
                "request": transfer,
                "decider": decider,
                "link": link,
                "link_days": settings.HWB_TRANSFER_LINK_DAYS,
            },
            language=interface_language(decider),  # not known: both languages, Welsh first
            # The headteacher's email is in Welsh and English (their own language first).
            bilingual=True,
        )


def _tell_requester(transfer: TransferRequest, template: str) -> None:
    requester = transfer.requester
    if requester is None:
        return
    email_enqueue(
        to=requester.email,
        template=template,
        context={
            "request": transfer,
            "status_url": settings.HWB_PORTAL_URL + reverse("transfers:status"),
        },
        language=interface_language(requester),  # not known: both languages, Welsh first
    )


# --- Deciding -------------------------------------------------------------------------------------


@transaction.atomic
def transfer_decide(
    *,
    request_id: int,
    decider: User,
    approve: bool,
    same_person_confirmed: bool = False,
    reason: str = "",
    ip_address: str | None = None,
) -> TransferRequest:
    """Approve or reject: exactly one decision, however many clicks (the row is locked).
    A rejection may give a ``reason`` (cleaned, at most REASON_MAX characters), which the member
    of staff sees on their status page and in the timeline.

    Approving judges both people again: a doubtful match needs ``same_person_confirmed`` (the
    decider ticked that the person asking holds the account); no match cannot be approved.
    Rejecting needs nothing."""
    transfer = (
        TransferRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "previous_account", "requester__school")
        .get(pk=request_id)
    )
    if transfer.status != Status.SUBMITTED:
        raise TransferError(
            _("This request has already been decided: %(status)s.")
            % {"status": transfer.get_status_display()}
        )
    if not transfer_may_decide(user=decider, transfer=transfer):
        raise TransferError(_("You cannot decide this request."))
    details = {}
    if approve:
        if transfer.requester is None or transfer.previous_account is None:
            raise TransferError(_("One of the two accounts no longer exists."))
        judgement = transfer_identity(
            requester=transfer.requester,
            previous_school=transfer.previous_school,
            previous_account=transfer.previous_account,
        )
        transfer_same_person_check(
            judgement=judgement,
            confirmed=same_person_confirmed,
            previous_username=transfer.previous_username,
        )
        transfer.match_confidence = judgement.confidence
        transfer.match_reasons = list(judgement.reasons)
        transfer.same_person_confirmed = judgement.confidence == matching.DOUBTFUL
        details = {
            "match": judgement.confidence,
            "same_person_confirmed": transfer.same_person_confirmed,
        }
    transfer.status = Status.APPROVED if approve else Status.REJECTED
    transfer.decided_by = decider
    transfer.decided_by_name = decider.get_full_name()
    transfer.decided_at = timezone.now()
    transfer.link_nonce = ""  # every link to it is spent
    if not approve:
        transfer.finished_at = transfer.decided_at
        transfer.rejection_reason = text_clean(reason, limit=REASON_MAX)
        transfer.rejection_reason_language = writing_language() if transfer.rejection_reason else ""
        _claim_close(transfer)
    transfer.save()
    _event(transfer, transfer.status, decider, note=transfer.rejection_reason)
    audit_record(
        actor=decider,
        action=f"transfer.{transfer.status}",
        target=transfer,
        school=transfer.previous_school,
        ip_address=ip_address,
        details=details,
    )
    _tell_requester(transfer, "transfer_approved" if approve else "transfer_rejected")
    return transfer


# --- The member of staff's choice -----------------------------------------------------------------


@transaction.atomic
def transfer_proceed(
    *, request_id: int, requester: User, ip_address: str | None = None
) -> TransferRequest:
    """Move the previous account to the new school; the unused new account is deactivated and
    deleted 12 months later; both accounts are signed out everywhere."""
    transfer = TransferRequest.objects.select_for_update().get(pk=request_id, requester=requester)
    if transfer.status != Status.APPROVED:
        raise TransferError(_("Only an approved request can go ahead."))
    requester = User.objects.select_for_update().get(pk=requester.pk)
    previous = User.objects.select_for_update().get(pk=transfer.previous_account_id)
    if previous.school_id != transfer.previous_school_id:
        raise TransferError(
            _("The account %(username)s has moved meanwhile.") % {"username": previous.username}
        )
    judgement = transfer_identity(
        requester=requester, previous_school=transfer.previous_school, previous_account=previous
    )
    # The MIS may have changed since the decision: what was checked then must still hold.
    if judgement.confidence == matching.NONE or (
        judgement.confidence == matching.DOUBTFUL and not transfer.same_person_confirmed
    ):
        raise TransferError(
            _(
                "Your two schools' MIS records no longer show clearly that the account "
                "%(username)s is yours. Cancel this request and ask again, so that the "
                "headteacher can check; the Hwb service desk (hwb@gov.wales) can help."
            )
            % {"username": previous.username}
        )
    transfer_previous_account(
        requester=requester,
        previous_school=transfer.previous_school,
        previous_username=previous.username,
    )
    transfer_rules_check(
        requester=requester,
        previous_school=transfer.previous_school,
        previous_account=previous,
        new_request=False,
    )
    new_school = requester.school
    try:
        staff_account_take_over(
            previous=previous,
            replaced=requester,
            new_school=new_school,
            reason=AccountMove.Reason.TRANSFER,
            actor=requester,
            details={"transfer_request": transfer.pk, "replaces": requester.username},
            ip_address=ip_address,
        )
    except StaffMoveRefused as refused:  # the kind rule, checked again under the lock
        raise TransferError(str(refused)) from refused
    transfer.status = Status.COMPLETED
    transfer.finished_at = timezone.now()
    transfer.save(update_fields=["status", "finished_at"])
    _claim_close(transfer)
    _event(transfer, "completed", requester)
    audit_record(
        actor=requester,
        action="transfer.completed",
        target=transfer,
        school=new_school,
        ip_address=ip_address,
        details={"match": judgement.confidence},
    )
    return transfer


@transaction.atomic
def transfer_cancel(
    *, request_id: int, requester: User, ip_address: str | None = None
) -> TransferRequest:
    """End the request; both accounts stay as they are."""
    transfer = TransferRequest.objects.select_for_update().get(pk=request_id, requester=requester)
    if transfer.status not in TransferRequest.OPEN:
        raise TransferError(_("This request is no longer open."))
    transfer.status = Status.CANCELLED
    transfer.finished_at = timezone.now()
    transfer.link_nonce = ""
    transfer.save(update_fields=["status", "finished_at", "link_nonce"])
    _claim_close(transfer)
    _event(transfer, "cancelled", requester)
    audit_record(
        actor=requester,
        action="transfer.cancelled",
        target=transfer,
        school=requester.school,
        ip_address=ip_address,
    )
    return transfer


# --- Daily jobs -----------------------------------------------------------------------------------


def transfer_requests_remind(*, now=None) -> int:
    """Remind whoever decides a request left unanswered for HWB_TRANSFER_REMINDER_DAYS."""
    now = now or timezone.now()
    due = TransferRequest.objects.filter(
        status=Status.SUBMITTED,
        reminded_at__isnull=True,
        created_at__lte=now - timedelta(days=settings.HWB_TRANSFER_REMINDER_DAYS),
    )
    reminded = 0
    for request_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            transfer = (
                TransferRequest.objects.select_for_update(of=("self",))
                .select_related("previous_school", "previous_account")
                .get(pk=request_id)
            )
            if transfer.status != Status.SUBMITTED or transfer.reminded_at is not None:
                continue
            transfer.reminded_at = now
            transfer.save(update_fields=["reminded_at"])
            _event(transfer, "reminded", None)
            _approver, deciders = transfer_approvers(
                previous_school=transfer.previous_school,
                previous_account=transfer.previous_account,
            )
            _ask_deciders(transfer, deciders, template="transfer_reminder")
            reminded += 1
    return reminded


def transfer_requests_expire(*, now=None) -> int:
    """Close requests left for HWB_TRANSFER_EXPIRY_DAYS: unanswered since they were sent, or
    approved and neither proceeded with nor cancelled since (an approved request would
    otherwise hold both accounts forever). The member of staff is told."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HWB_TRANSFER_EXPIRY_DAYS)
    due = TransferRequest.objects.filter(
        Q(status=Status.SUBMITTED, created_at__lte=cutoff)
        | Q(status=Status.APPROVED, decided_at__lte=cutoff)
    )
    expired = 0
    for request_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            transfer = TransferRequest.objects.select_for_update().get(pk=request_id)
            if transfer.status not in TransferRequest.OPEN:
                continue
            transfer.status = Status.EXPIRED
            transfer.finished_at = now
            transfer.link_nonce = ""
            transfer.save(update_fields=["status", "finished_at", "link_nonce"])
            _claim_close(transfer)
            _event(transfer, "expired", None)
            audit_record(
                actor=None, action="transfer.expired", target=transfer, school=transfer.new_school
            )
            _tell_requester(transfer, "transfer_expired")
            expired += 1
    return expired
