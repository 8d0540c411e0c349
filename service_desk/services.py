"""Service-desk requests: staff of a brand-new school keeping their existing account.

A member of staff of a new school (or the Hwb team on their behalf) names their previous
organisation and existing username; the service desk asks that organisation for written
authorisation (a signed, single-use link to its headteacher, or a document received another
way); once authorised, the account moves exactly as in an Account Transfer. Each failure is a
ServiceDeskError (a TransferError, so the transfer rules reused here read the same) whose message
says what is wrong and who can put it right.
"""

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
from core.links import LinkPurpose
from core.models import timeline_event_add
from core.text import text_clean, writing_language
from provisioning.staff_moves import StaffMoveRefused, staff_account_take_over
from schools.models import School
from schools.selectors import school_by_dfes_number
from transfers.models import TransferRequest
from transfers.rules import (
    TransferError,
    transfer_kind_check,
    transfer_previous_account,
)

from .models import ServiceDeskEvent, ServiceDeskRequest
from .selectors import school_is_new

Status = ServiceDeskRequest.Status
# The authoriser's link (the salt is the one links already sent were signed with).
AUTHORISATION_LINK = LinkPurpose(
    salt="hwb.transfers.service-desk-authorisation", session_key="hwb_service_desk_link"
)
NOTE_MAX = 2000
NAME_MAX = 200
STATEMENT_MAX = 4000
# The kinds of document the desk may attach, told apart by their first bytes (never the name).
DOCUMENT_SIGNATURES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)


class ServiceDeskError(TransferError):
    """A service-desk rule said no; the message says what is wrong and who can put it right."""


# --- The rules ------------------------------------------------------------------------------------


def _open_elsewhere_check(*, requester: User, previous: User) -> None:
    """Neither account may be in another open service-desk request or Account Transfer."""
    open_requests = ServiceDeskRequest.objects.filter(status__in=ServiceDeskRequest.OPEN)
    if open_requests.filter(Q(requester=requester) | Q(previous_account=requester)).exists():
        raise ServiceDeskError(
            _(
                "There is already an open request to keep an account for %(username)s. Open it "
                "from Your Details, or cancel it first."
            )
            % {"username": requester.username}
        )
    if open_requests.filter(Q(requester=previous) | Q(previous_account=previous)).exists():
        raise ServiceDeskError(
            _("There is already an open request to keep the account %(username)s.")
            % {"username": previous.username}
        )
    accounts = [requester.pk, previous.pk]
    if TransferRequest.objects.filter(
        Q(requester_id__in=accounts) | Q(previous_account_id__in=accounts),
        status__in=TransferRequest.OPEN,
    ).exists():
        raise ServiceDeskError(
            _(
                "There is an open Account Transfer request for one of these accounts. Cancel it "
                "on the Account Transfer Status page first, or wait for its decision."
            )
        )


ROUTE = AccountMoveClaim.Route.SERVICE_DESK


def desk_claim_close(desk_request: ServiceDeskRequest) -> None:
    """The request has ended: its claim on the previous account goes with it."""
    account_move_claim_close(
        account=desk_request.previous_account, requester=desk_request.requester, route=ROUTE
    )


def service_desk_requester_check(requester: User) -> None:
    """ServiceDeskError unless ``requester`` may ask (governors and ITE students are told why)."""
    transfer_kind_check(requester.kind)
    if not requester.is_active:
        raise ServiceDeskError(
            _("The account %(username)s is not active.") % {"username": requester.username}
        )
    if not school_is_new(requester.school):
        raise ServiceDeskError(
            _(
                "This is for staff of a new school. Your school is not new: use Account "
                "Transfer to bring your previous school's account."
            )
        )


def service_desk_previous_account(
    *,
    requester: User,
    previous_school: School | None,
    previous_username: str,
    by_hwb_team: bool = False,
) -> User:
    """The existing account named, with every rule checked, or ServiceDeskError. An unknown
    account, or one whose holder the staff matcher says is someone else, gets Account
    Transfer's one message (nobody learns which usernames exist where, nor what kind they are);
    the Hwb team acting for someone sees every account, and the match on the request's page."""
    service_desk_requester_check(requester)
    previous = transfer_previous_account(
        requester=requester,
        previous_school=previous_school,
        previous_username=previous_username,
        holder_check=not by_hwb_team,
    )
    _open_elsewhere_check(requester=requester, previous=previous)
    return previous


# --- Events and emails ----------------------------------------------------------------------------


def desk_event_add(
    desk_request: ServiceDeskRequest, action: str, actor: User | None, note: str = ""
) -> None:
    timeline_event_add(
        ServiceDeskEvent, subject=desk_request, action=action, actor=actor, note=note
    )


def status_url() -> str:
    return settings.HWB_PORTAL_URL + reverse("service_desk:status")


def admin_url(desk_request: ServiceDeskRequest) -> str:
    return settings.HWB_PORTAL_URL + reverse(
        "admin:service_desk_servicedeskrequest_change", args=[desk_request.pk]
    )


def requester_tell(desk_request: ServiceDeskRequest, *, to: User | None = None) -> None:
    """The member of staff hears of each change of status, in their own language."""
    reader = to or desk_request.requester
    if reader is None or not reader.email:
        return
    email_enqueue(
        to=reader.email,
        template="service_desk_update",
        context={"request": desk_request, "status_url": status_url()},
        language=interface_language(reader),  # not known: both languages, Welsh first
    )


def desk_tell(desk_request: ServiceDeskRequest, event: str) -> None:
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template="service_desk_team",
        context={"request": desk_request, "event": event, "admin_url": admin_url(desk_request)},
        language="en",
    )


# --- Raising a request -------------------------------------------------------------------------


@transaction.atomic
def service_desk_request_raise(
    *,
    requester: User,
    previous_dfes: str,
    previous_username: str,
    note: str,
    raised_by: User,
    ip_address: str | None = None,
) -> ServiceDeskRequest:
    """Record the request (by the member of staff, or the Hwb team for them); the requester and
    the Hwb team are emailed."""
    note = text_clean(note or "", limit=NOTE_MAX + 1)
    if len(note) > NOTE_MAX:
        raise ServiceDeskError(_("Write a note of up to %(max)d characters.") % {"max": NOTE_MAX})
    requester = (
        User.objects.select_for_update(of=("self",)).select_related("school").get(pk=requester.pk)
    )
    previous_school = school_by_dfes_number(previous_dfes)
    previous = service_desk_previous_account(
        requester=requester,
        previous_school=previous_school,
        previous_username=previous_username,
        by_hwb_team=raised_by.pk != requester.pk,
    )
    try:
        with transaction.atomic():
            desk_request = ServiceDeskRequest.objects.create(
                requester=requester,
                requester_username=requester.username,
                new_school_id=requester.school_id,
                raised_by=raised_by,
                raised_by_username=raised_by.username,
                previous_school=previous_school,
                previous_account=previous,
                previous_username=previous.username,
                note=note,
                note_language=writing_language() if note else "",
            )
    except IntegrityError:  # a second submit racing the first
        raise ServiceDeskError(
            _("There is already an open request to keep the account %(username)s.")
            % {"username": previous.username}
        ) from None
    try:
        account_move_claim_open(account=previous, requester=requester, route=ROUTE)
    except AccountClaimed:  # an Account Transfer request holds one of the two accounts
        raise ServiceDeskError(
            _(
                "There is an open Account Transfer request for one of these accounts. Cancel it "
                "on the Account Transfer Status page first, or wait for its decision."
            )
        ) from None
    on_behalf = raised_by.pk != requester.pk
    desk_event_add(desk_request, "raised_by_desk" if on_behalf else "raised", raised_by)
    audit_record(
        actor=raised_by,
        action="service_desk.raised",
        target=desk_request,
        school=requester.school,
        ip_address=ip_address,
        details={
            "previous_school": previous_school.dfes_number,
            "previous_username": previous.username,
            "on_behalf": on_behalf,
        },
    )
    requester_tell(desk_request)
    desk_tell(desk_request, "raised")
    return desk_request


# --- Processing and cancelling --------------------------------------------------------------------


@transaction.atomic
def service_desk_request_process(
    *, request_id: int, actor: User, ip_address: str | None = None
) -> ServiceDeskRequest:
    """Move the existing account to the new school exactly as a transfer does: the requester's
    new account is deactivated and deleted 12 months later, and both are signed out."""
    desk_request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school")
        .get(pk=request_id)
    )
    if desk_request.status != Status.AUTHORISED:
        raise ServiceDeskError(_("Only an authorised request can be processed."))
    if desk_request.requester_id is None or desk_request.previous_account_id is None:
        raise ServiceDeskError(_("One of the two accounts no longer exists."))
    locked = {
        user.pk: user
        for user in User.objects.select_for_update(of=("self",))
        .select_related("school")
        .filter(pk__in=[desk_request.requester_id, desk_request.previous_account_id])
        .order_by("pk")  # always the same order: two desks cannot deadlock
    }
    requester = locked[desk_request.requester_id]
    previous = locked[desk_request.previous_account_id]
    if previous.school_id != desk_request.previous_school_id:
        raise ServiceDeskError(
            _("The account %(username)s has moved meanwhile.") % {"username": previous.username}
        )
    if requester.school_id != desk_request.new_school_id or not requester.is_active:
        raise ServiceDeskError(
            _("The new account %(username)s is no longer active at %(school)s.")
            % {"username": requester.username, "school": desk_request.new_school.name}
        )
    transfer_kind_check(requester.kind)
    # The previous organisation's written authorisation, checked by the desk, stands for the
    # holder here: the Hwb team sees the staff matcher's judgement on the request's page.
    transfer_previous_account(
        requester=requester,
        previous_school=desk_request.previous_school,
        previous_username=previous.username,
        holder_check=False,
    )
    accounts = [requester.pk, previous.pk]
    if TransferRequest.objects.filter(
        Q(requester_id__in=accounts) | Q(previous_account_id__in=accounts),
        status__in=TransferRequest.OPEN,
    ).exists():
        raise ServiceDeskError(
            _(
                "There is an open Account Transfer request for one of these accounts. It must "
                "be cancelled or decided first."
            )
        )
    try:
        staff_account_take_over(
            previous=previous,
            replaced=requester,
            new_school=desk_request.new_school,
            reason=AccountMove.Reason.SERVICE_DESK,
            actor=actor,
            details={"service_desk_request": desk_request.pk, "replaces": requester.username},
            ip_address=ip_address,
        )
    except StaffMoveRefused as refused:  # the kind rule, checked again under the lock
        raise ServiceDeskError(str(refused)) from refused
    desk_request.status = Status.COMPLETED
    desk_request.processed_by = actor
    desk_request.finished_at = timezone.now()
    desk_request.save(update_fields=["status", "processed_by", "finished_at"])
    desk_claim_close(desk_request)
    desk_event_add(desk_request, "completed", actor)
    audit_record(
        actor=actor,
        action="service_desk.completed",
        target=desk_request,
        school=desk_request.new_school,
        ip_address=ip_address,
        details={"account": previous.username, "replaced": requester.username},
    )
    previous.refresh_from_db()
    # Told at the account they keep (the new one is closed now), and at the one it replaces.
    requester_tell(desk_request, to=previous)
    if requester.email and requester.email != previous.email:
        requester_tell(desk_request, to=requester)
    return desk_request


@transaction.atomic
def service_desk_request_cancel(
    *, request_id: int, actor: User, ip_address: str | None = None
) -> ServiceDeskRequest:
    """End an open request (the requester, or the Hwb team); both accounts stay as they are."""
    desk_request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school", "requester")
        .get(pk=request_id)
    )
    if desk_request.status not in ServiceDeskRequest.OPEN:
        raise ServiceDeskError(_("This request is no longer open."))
    by_requester = actor.pk == desk_request.requester_id
    desk_request.status = Status.CANCELLED
    desk_request.finished_at = timezone.now()
    desk_request.link_nonce = ""
    desk_request.save(update_fields=["status", "finished_at", "link_nonce"])
    desk_claim_close(desk_request)
    desk_event_add(desk_request, "cancelled" if by_requester else "cancelled_by_desk", actor)
    audit_record(
        actor=actor,
        action="service_desk.cancelled",
        target=desk_request,
        school=desk_request.new_school,
        ip_address=ip_address,
        details={"by_requester": by_requester},
    )
    if by_requester:
        desk_tell(desk_request, "cancelled")
    else:
        requester_tell(desk_request)
    return desk_request
