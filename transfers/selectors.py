"""Reads of Account Transfer: a member of staff's requests, the requests a decider decides, and
the two people of a request side by side."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SchoolRole, User
from accounts.selectors import user_roles_at_school
from core.links import LinkExpired, LinkInvalid, LinkPurpose, link_read
from provisioning import matching
from provisioning.selectors import staff_record_of
from schools.models import School

from .models import TransferRequest
from .rules import TransferError, transfer_approvers, transfer_identity

Status = TransferRequest.Status
# The headteacher's decision link (the salt is the one links already sent were signed with).
DECISION_LINK = LinkPurpose(salt="hwb.transfers.decision-link", session_key="hwb_transfer_link")


def may_ask_for_transfer(user: User) -> bool:
    """Only school staff accounts can be moved (governors and ITE students are told why not)."""
    return (
        user.is_authenticated
        and user.kind == User.Kind.STAFF
        and user.school_id is not None
        and not user.non_mis_purpose  # the school's own accounts (supply, visitors) stay put
    )


def _with_details(requests: QuerySet) -> QuerySet:
    return requests.select_related(
        "previous_school", "new_school", "previous_account", "requester"
    ).prefetch_related("events")


def transfer_requests_of(*, requester: User) -> list[TransferRequest]:
    """Every request the member of staff has made, newest first (open ones and past ones)."""
    return list(_with_details(TransferRequest.objects.filter(requester=requester)))


def transfer_request_open_of(*, requester: User) -> TransferRequest | None:
    """The member of staff's one open request (waiting for a decision or for their choice)."""
    return (
        TransferRequest.objects.filter(requester=requester, status__in=TransferRequest.OPEN)
        .order_by("-created_at", "-pk")
        .first()
    )


def transfer_request_recently_rejected(*, requester: User) -> TransferRequest | None:
    """The member of staff's latest request, when it was rejected within the last
    HWB_TRANSFER_EXPIRY_DAYS and nothing newer was sent (the dashboard's banner)."""
    latest = (
        TransferRequest.objects.filter(requester=requester)
        .select_related("previous_school")
        .order_by("-created_at", "-pk")
        .first()
    )
    return latest if _is_recent_rejection(latest) else None


def _is_recent_rejection(transfer: TransferRequest | None) -> bool:
    return (
        transfer is not None
        and transfer.status == Status.REJECTED
        and transfer.decided_at is not None
        and transfer.decided_at
        >= timezone.now() - timedelta(days=settings.HWB_TRANSFER_EXPIRY_DAYS)
    )


def request_for_requester(*, requester: User, pk: int) -> TransferRequest:
    """One of the member of staff's own requests, or 404."""
    transfer = TransferRequest.objects.filter(requester=requester, pk=pk).first()
    if transfer is None:
        raise Http404
    return transfer


def transfer_requests_to_decide(*, user: User) -> list[TransferRequest]:
    """Requests waiting for this headteacher's (or local-authority officer's) decision."""
    if not user.is_authenticated or not user.is_active:
        return []
    waiting = TransferRequest.objects.filter(status=Status.SUBMITTED)
    if user.kind == User.Kind.LA_OFFICER and user.local_authority_id:
        waiting = waiting.filter(previous_school__local_authority_id=user.local_authority_id)
    elif user.school_id:
        waiting = waiting.filter(previous_school_id=user.school_id)
    else:
        return []
    return [
        transfer
        for transfer in _with_details(waiting).order_by("created_at", "pk")
        if transfer_may_decide(user=user, transfer=transfer)
    ]


def transfer_waiting_actions(user: User) -> dict:
    """What Account Transfer waits for this person to do, for the landing page and the
    dashboard: an approved request to proceed with or cancel, a recent rejection (when nothing
    is approved), and the requests waiting for their decision as headteacher or officer."""
    awaiting_choice = rejected = None
    if may_ask_for_transfer(user):
        awaiting_choice, rejected = _requester_banners(requester=user)
    to_decide = transfer_requests_to_decide(user=user) if _may_decide_any(user) else []
    return {"awaiting_choice": awaiting_choice, "rejected": rejected, "to_decide": to_decide}


def _requester_banners(*, requester: User) -> tuple[TransferRequest | None, TransferRequest | None]:
    """The member of staff's approved request waiting for their choice (the latest approved),
    else their latest request when it is a recent rejection: in one query, of the approved
    requests and the latest one."""
    latest = (
        TransferRequest.objects.filter(requester=requester)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    candidates = list(
        TransferRequest.objects.filter(requester=requester)
        .filter(Q(status=Status.APPROVED) | Q(pk__in=latest))
        .select_related("previous_school")
        .order_by("-created_at", "-pk")
    )
    awaiting_choice = next((each for each in candidates if each.status == Status.APPROVED), None)
    if awaiting_choice is not None:
        return awaiting_choice, None
    latest_request = candidates[0] if candidates else None
    return None, latest_request if _is_recent_rejection(latest_request) else None


def _may_decide_any(user: User) -> bool:
    """Whether ``user`` could be the decider of any request (``transfer_approvers``): a
    local-authority officer, or the headteacher of their school. Anyone else waits for nothing,
    and is spared the query."""
    if user.kind == User.Kind.LEARNER:
        return False
    return user.kind == User.Kind.LA_OFFICER or (
        SchoolRole.Role.HEADTEACHER in user_roles_at_school(user)
    )


def request_for_decider(*, user: User, pk: int) -> TransferRequest:
    """A request this user decides (now, or decided before), or 404."""
    transfer = _with_details(TransferRequest.objects.filter(pk=pk)).first()
    if transfer is None or not transfer_may_decide(user=user, transfer=transfer):
        raise Http404
    return transfer


def request_for_decision_page(pk: int) -> TransferRequest:
    """The request a decision link led to, with what its page shows."""
    return _with_details(TransferRequest.objects.filter(pk=pk)).get()


# --- The two people, side by side --------------------------------------------------------------


@dataclass(frozen=True)
class PersonShown:
    """One side of a request as whoever decides sees it: never a whole date of birth."""

    name: str
    username: str
    school: School
    staff_code: str
    birth_year: int | None


@dataclass(frozen=True)
class IdentityShown:
    """The person asking and the previous account's holder, from their schools' MIS records,
    with the staff matcher's judgement of them now and its reasons in the reader's words."""

    requester: PersonShown
    holder: PersonShown
    confidence: str
    reason_codes: tuple[str, ...]

    @property
    def doubtful(self) -> bool:
        return self.confidence == matching.DOUBTFUL

    @property
    def no_match(self) -> bool:
        return self.confidence == matching.NONE

    @property
    def reasons(self) -> list[str]:
        return [str(matching.REASON_LABELS.get(code, code)) for code in self.reason_codes]


def _person_shown(account: User, school: School) -> PersonShown:
    record = staff_record_of(school=school, account=account)
    return PersonShown(
        name=f"{record.forename} {record.surname}" if record else account.get_full_name(),
        username=account.username,
        school=school,
        staff_code=record.staff_code if record else "",
        birth_year=record.date_of_birth.year if record and record.date_of_birth else None,
    )


def transfer_identity_shown(transfer: TransferRequest) -> IdentityShown | None:
    """Both people of a request waiting for a decision, judged as the decision will judge
    them; None when one of the two accounts no longer exists."""
    requester, previous = transfer.requester, transfer.previous_account
    if requester is None or previous is None or requester.school_id is None:
        return None
    judgement = transfer_identity(
        requester=requester, previous_school=transfer.previous_school, previous_account=previous
    )
    return IdentityShown(
        requester=_person_shown(requester, requester.school),
        holder=_person_shown(previous, transfer.previous_school),
        confidence=judgement.confidence,
        reason_codes=judgement.reasons,
    )


def transfer_request_from_link(token: str) -> TransferRequest:
    """The request a link is for, or TransferError for a tampered, expired or used link."""
    try:
        link = link_read(
            token,
            purpose=DECISION_LINK,
            max_age=timedelta(days=settings.HWB_TRANSFER_LINK_DAYS),
        )
    except LinkExpired:
        raise TransferError(_("This link has expired.")) from None
    except LinkInvalid:
        raise TransferError(_("This link is not valid.")) from None
    transfer = TransferRequest.objects.filter(pk=link.pk).first()
    if transfer is None:
        raise TransferError(_("This link is not valid."))
    if transfer.link_nonce != link.nonce:
        if transfer.status != Status.SUBMITTED:
            raise TransferError(
                _("This request has already been decided: %(status)s.")
                % {"status": transfer.get_status_display()}
            )
        raise TransferError(_("This link is not valid."))
    return transfer


def transfer_may_decide(*, user: User, transfer: TransferRequest) -> bool:
    """Whether ``user`` decides this request now (the approver is worked out afresh, so a new
    headteacher decides a request sent to the old one)."""
    if not user.is_authenticated or not user.is_active:
        return False
    approver, deciders = transfer_approvers(
        previous_school=transfer.previous_school, previous_account=transfer.previous_account
    )
    return any(decider.pk == user.pk for decider in deciders) and (
        user.pk != transfer.previous_account_id
    )
