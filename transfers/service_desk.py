"""Service-desk requests: staff of a brand-new school keeping their existing account.

A member of staff of a new school (or the Hwb team on their behalf) names their previous
organisation and existing username; the service desk asks that organisation for written
authorisation (a signed, single-use link to its headteacher, or a document received another
way); once authorised, the account moves exactly as in an Account Transfer. Each failure is a
ServiceDeskError (a TransferError, so the transfer rules reused here read the same) whose message
says what is wrong and who can put it right.
"""

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import email_enqueue
from accounts.models import AccountMove, User
from accounts.selectors import interface_language
from accounts.services import audit_record
from schools.models import School
from schools.selectors import school_by_dfes_number

from .models import SchoolNotice, ServiceDeskEvent, ServiceDeskRequest, TransferRequest
from .services import (
    TransferError,
    account_take_over,
    transfer_approvers,
    transfer_kind_check,
    transfer_previous_account,
)

Status = ServiceDeskRequest.Status
LINK_SALT = "hwb.transfers.service-desk-authorisation"
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


# --- Reads ----------------------------------------------------------------------------------------


def _a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def school_is_new(school: School | None, *, today: date | None = None) -> bool:
    """A school opened within the last 12 months or opening later: by its opening date, or by
    the local authority's new-school notice that the Hwb team tied to it."""
    if school is None:
        return False
    today = today or timezone.localdate()
    since = _a_year_before(today)
    if school.opening_date is not None and school.opening_date >= since:
        return True
    return (
        SchoolNotice.objects.filter(
            kind=SchoolNotice.Kind.NEW_SCHOOL, school=school, effective_date__gte=since
        )
        .exclude(status__in=[SchoolNotice.Status.DECLINED, SchoolNotice.Status.WITHDRAWN])
        .exists()
    )


def may_ask_service_desk(user: User) -> bool:
    """Whether ``user`` may ask to keep their existing account: active school staff of a new
    school (governors and ITE students never; other staff use Account Transfer)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.kind == User.Kind.STAFF
        and school_is_new(user.school)
    )


def _with_details(requests):
    return requests.select_related(
        "previous_school", "new_school", "previous_account", "requester", "processed_by"
    ).prefetch_related("events")


def service_desk_requests_of(*, user: User) -> list[ServiceDeskRequest]:
    """The requests a member of staff sees: those they raised (or were raised for them), and
    the completed one that moved the account they are signed in with now."""
    mine = Q(requester=user) | Q(previous_account=user, status=Status.COMPLETED)
    return list(_with_details(ServiceDeskRequest.objects.filter(mine)))


def service_desk_request_open_of(*, requester: User) -> ServiceDeskRequest | None:
    return ServiceDeskRequest.objects.filter(
        requester=requester, status__in=ServiceDeskRequest.OPEN
    ).first()


def service_desk_request_for_requester(*, requester: User, pk: int) -> ServiceDeskRequest:
    """One of the requester's own requests, or 404."""
    request = ServiceDeskRequest.objects.filter(requester=requester, pk=pk).first()
    if request is None:
        raise Http404
    return request


def service_desk_request_for_page(pk: int) -> ServiceDeskRequest:
    """A request with everything its pages show."""
    return _with_details(ServiceDeskRequest.objects.filter(pk=pk)).get()


def service_desk_authorisers(*, request: ServiceDeskRequest) -> list[User]:
    """Who is asked by default: the previous school's headteacher, or its local authority's
    officers, exactly as Account Transfer decides."""
    if request.previous_account is None:
        return []
    _approver, deciders = transfer_approvers(
        previous_school=request.previous_school, previous_account=request.previous_account
    )
    return [decider for decider in deciders if decider.email]


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
    *, requester: User, previous_school: School | None, previous_username: str
) -> User:
    """The existing account named, with every rule checked, or ServiceDeskError. An unknown
    account gets Account Transfer's one message (nobody learns which usernames exist where)."""
    service_desk_requester_check(requester)
    previous = transfer_previous_account(
        requester=requester, previous_school=previous_school, previous_username=previous_username
    )
    _open_elsewhere_check(requester=requester, previous=previous)
    return previous


def _clean_text(value: str, *, limit: int) -> str:
    """Trimmed, without NUL characters (PostgreSQL refuses them), at most ``limit`` long."""
    return value.replace("\x00", "").strip()[:limit]


# --- Events and emails ----------------------------------------------------------------------------


def _event(request: ServiceDeskRequest, action: str, actor: User | None, note: str = "") -> None:
    ServiceDeskEvent.objects.create(
        request=request,
        action=action,
        actor_username=actor.username if actor else "",
        note=note[:500],
    )


def _status_url() -> str:
    return settings.HWB_PORTAL_URL + reverse("service_desk:status")


def _admin_url(request: ServiceDeskRequest) -> str:
    return settings.HWB_PORTAL_URL + reverse(
        "admin:transfers_servicedeskrequest_change", args=[request.pk]
    )


def _tell_requester(request: ServiceDeskRequest, *, to: User | None = None) -> None:
    """The member of staff hears of each change of status, in their own language."""
    reader = to or request.requester
    if reader is None or not reader.email:
        return
    email_enqueue(
        to=reader.email,
        template="service_desk_update",
        context={"request": request, "status_url": _status_url()},
        language=interface_language(reader) or "en",
    )


def _tell_desk(request: ServiceDeskRequest, event: str) -> None:
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template="service_desk_team",
        context={"request": request, "event": event, "admin_url": _admin_url(request)},
        language="en",
    )


# --- Raising a request ----------------------------------------------------------------------------


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
    note = _clean_text(note or "", limit=NOTE_MAX + 1)
    if len(note) > NOTE_MAX:
        raise ServiceDeskError(_("Write a note of up to %(max)d characters.") % {"max": NOTE_MAX})
    requester = (
        User.objects.select_for_update(of=("self",)).select_related("school").get(pk=requester.pk)
    )
    previous_school = school_by_dfes_number(previous_dfes)
    previous = service_desk_previous_account(
        requester=requester, previous_school=previous_school, previous_username=previous_username
    )
    try:
        with transaction.atomic():
            request = ServiceDeskRequest.objects.create(
                requester=requester,
                requester_username=requester.username,
                new_school_id=requester.school_id,
                raised_by=raised_by,
                raised_by_username=raised_by.username,
                previous_school=previous_school,
                previous_account=previous,
                previous_username=previous.username,
                note=note,
            )
    except IntegrityError:  # a second submit racing the first
        raise ServiceDeskError(
            _("There is already an open request to keep the account %(username)s.")
            % {"username": previous.username}
        ) from None
    on_behalf = raised_by.pk != requester.pk
    _event(request, "raised_by_desk" if on_behalf else "raised", raised_by)
    audit_record(
        actor=raised_by,
        action="service_desk.raised",
        target=request,
        school=requester.school,
        ip_address=ip_address,
        details={
            "previous_school": previous_school.dfes_number,
            "previous_username": previous.username,
            "on_behalf": on_behalf,
        },
    )
    _tell_requester(request)
    _tell_desk(request, "raised")
    return request


# --- Asking the previous organisation -------------------------------------------------------------


def service_desk_authorisation_link(request: ServiceDeskRequest) -> str:
    """The absolute, signed link in the authoriser's email (one request, single use, expiring)."""
    token = signing.dumps({"r": request.pk, "n": request.link_nonce}, salt=LINK_SALT)
    return settings.HWB_PORTAL_URL + reverse("service_desk:authorise_link", args=[token])


def _link_data(token: str) -> dict:
    try:
        data = signing.loads(
            token, salt=LINK_SALT, max_age=timedelta(days=settings.HWB_AUTHORISATION_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise ServiceDeskError(
            _("This link has expired. Ask the Hwb service desk (hwb@gov.wales) for a new one.")
        ) from None
    except signing.BadSignature:
        raise ServiceDeskError(_("This link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not data.get("n"):
        raise ServiceDeskError(_("This link is not valid."))
    return data


def _request_of_link(request: ServiceDeskRequest | None, data: dict) -> ServiceDeskRequest:
    if request is None:
        raise ServiceDeskError(_("This link is not valid."))
    if request.link_nonce != data["n"] or request.status != Status.AWAITING:
        if request.status != Status.AWAITING:
            raise ServiceDeskError(
                _("This request has already been answered or closed: %(status)s.")
                % {"status": request.get_status_display()}
            )
        raise ServiceDeskError(
            _("This link has been replaced by a newer one. Use the link in the latest email.")
        )
    return request


def service_desk_request_from_link(token: str) -> ServiceDeskRequest:
    """The request an authorisation link is for, or ServiceDeskError for a tampered, expired,
    replaced or spent link."""
    data = _link_data(token)
    return _request_of_link(ServiceDeskRequest.objects.filter(pk=data["r"]).first(), data)


@transaction.atomic
def service_desk_authorisation_ask(
    *, request_id: int, actor: User, email: str = "", ip_address: str | None = None
) -> ServiceDeskRequest:
    """Email the previous organisation a link to authorise or decline in writing: its
    headteacher (or local-authority officers), or the address the desk types. Asking again
    spends every earlier link."""
    request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "previous_account", "new_school", "requester")
        .get(pk=request_id)
    )
    if request.status not in (Status.RECEIVED, Status.AWAITING):
        raise ServiceDeskError(
            _("Authorisation can only be asked for while the request is open and unanswered.")
        )
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceDeskError(_("Enter an email address like name@example.org.")) from None
        recipients = [(email, None)]
    else:
        recipients = [(user.email, user) for user in service_desk_authorisers(request=request)]
    if not recipients:
        raise ServiceDeskError(
            _(
                "%(school)s has no headteacher in Hwb, and its local authority has no officer in "
                "Hwb. Type the address of someone who may authorise for it."
            )
            % {"school": request.previous_school.name}
        )
    request.status = Status.AWAITING
    request.link_nonce = secrets.token_urlsafe(16)  # earlier links are spent
    request.authoriser_email = recipients[0][0]
    request.authorisation_requested_at = timezone.now()
    request.save(
        update_fields=["status", "link_nonce", "authoriser_email", "authorisation_requested_at"]
    )
    addresses = ", ".join(address for address, _user in recipients)
    _event(request, "authorisation_asked", actor, addresses)
    audit_record(
        actor=actor,
        action="service_desk.authorisation_asked",
        target=request,
        school=request.previous_school,
        ip_address=ip_address,
        details={"to": [address for address, _user in recipients], "typed": bool(email)},
    )
    link = service_desk_authorisation_link(request)
    for address, user in recipients:
        email_enqueue(
            to=address,
            template="service_desk_authorisation",
            context={
                "request": request,
                "authoriser": user,
                "link": link,
                "link_days": settings.HWB_AUTHORISATION_LINK_DAYS,
            },
            language=(interface_language(user) if user else "") or "en",
            bilingual=True,  # Welsh and English, the reader's own language first
        )
    return request


# --- The previous organisation's answer -----------------------------------------------------------


def _answer_fields_check(*, name: str, role: str, statement: str) -> tuple[str, str, str]:
    name = _clean_text(name or "", limit=NAME_MAX + 1)
    role = _clean_text(role or "", limit=NAME_MAX + 1)
    statement = _clean_text(statement or "", limit=STATEMENT_MAX + 1)
    if not name or len(name) > NAME_MAX:
        raise ServiceDeskError(
            _("Enter the full name of whoever authorises, up to 200 characters.")
        )
    if not role or len(role) > NAME_MAX:
        raise ServiceDeskError(_("Enter their role, up to 200 characters."))
    if not statement or len(statement) > STATEMENT_MAX:
        raise ServiceDeskError(_("Write a statement of up to 4,000 characters."))
    return name, role, statement


def _answer_record(
    request: ServiceDeskRequest,
    *,
    authorise: bool,
    name: str,
    role: str,
    statement: str,
    method: str,
) -> None:
    request.status = Status.AUTHORISED if authorise else Status.DECLINED
    request.authorisation_method = method
    request.authoriser_name = name
    request.authoriser_role = role
    request.authoriser_statement = statement
    request.authorised_at = timezone.now()
    request.link_nonce = ""  # every link to it is spent
    if not authorise:
        request.finished_at = request.authorised_at


@transaction.atomic
def service_desk_authorisation_answer(
    *,
    token: str,
    authorise: bool,
    name: str,
    role: str,
    statement: str,
    declared: bool,
    ip_address: str | None = None,
) -> ServiceDeskRequest:
    """The previous organisation authorises or declines in writing, from the emailed link:
    exactly one answer, however many clicks (the row is locked and the link then spent)."""
    data = _link_data(token)
    request = _request_of_link(
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school", "requester")
        .filter(pk=data["r"])
        .first(),
        data,
    )
    if not declared:
        raise ServiceDeskError(_("Tick the box to confirm the declaration."))
    name, role, statement = _answer_fields_check(name=name, role=role, statement=statement)
    _answer_record(
        request,
        authorise=authorise,
        name=name,
        role=role,
        statement=statement,
        method=ServiceDeskRequest.Method.LINK,
    )
    request.save()
    _event(request, request.status, None, f"{name}, {role}")
    audit_record(
        actor=None,
        action=f"service_desk.{request.status}",
        target=request,
        school=request.previous_school,
        ip_address=ip_address,
        details={
            "method": ServiceDeskRequest.Method.LINK,
            "name": name,
            "role": role,
            "link_sent_to": request.authoriser_email,
        },
    )
    _tell_requester(request)
    _tell_desk(request, request.status)
    return request


def authorisation_document_kind(head: bytes) -> tuple[str, str] | None:
    """(extension, content type) of a PDF, PNG or JPEG by its first bytes; None otherwise."""
    for signature, extension, content_type in DOCUMENT_SIGNATURES:
        if head.startswith(signature):
            return extension, content_type
    return None


def authorisation_document_check(document) -> tuple[str, str]:
    """ServiceDeskError unless the upload is a PDF, PNG or JPEG within the size limit."""
    limit = settings.HWB_AUTHORISATION_MAX_BYTES
    if document is None or not document.size:
        raise ServiceDeskError(_("Attach the authorisation document (PDF, PNG or JPEG)."))
    if document.size > limit:
        raise ServiceDeskError(
            _("The document is too big: attach one of up to %(mb)s MB.")
            % {"mb": f"{limit / (1024 * 1024):g}"}
        )
    document.seek(0)
    kind = authorisation_document_kind(document.read(16))
    document.seek(0)
    if kind is None:
        raise ServiceDeskError(
            _("The document must be a PDF, PNG or JPEG file (its contents say otherwise).")
        )
    return kind


@transaction.atomic
def service_desk_authorisation_record(
    *,
    request_id: int,
    actor: User,
    authorise: bool,
    name: str,
    role: str,
    statement: str,
    document,
    ip_address: str | None = None,
) -> ServiceDeskRequest:
    """The desk records an authorisation (or refusal) received another way, with the document
    it came in, kept privately (never at a public address)."""
    request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school", "requester")
        .get(pk=request_id)
    )
    if request.status not in (Status.RECEIVED, Status.AWAITING):
        raise ServiceDeskError(
            _("This request has already been answered or closed: %(status)s.")
            % {"status": request.get_status_display()}
        )
    name, role, statement = _answer_fields_check(name=name, role=role, statement=statement)
    extension, _content_type = authorisation_document_check(document)
    _answer_record(
        request,
        authorise=authorise,
        name=name,
        role=role,
        statement=statement,
        method=ServiceDeskRequest.Method.DOCUMENT,
    )
    # Our own name for the file: the uploaded name may carry anything.
    request.authorisation_document.save(
        f"authorisation-{request.pk}.{extension}", ContentFile(document.read()), save=False
    )
    request.save()
    _event(request, request.status, actor, f"{name}, {role}")
    audit_record(
        actor=actor,
        action=f"service_desk.{request.status}",
        target=request,
        school=request.previous_school,
        ip_address=ip_address,
        details={
            "method": ServiceDeskRequest.Method.DOCUMENT,
            "name": name,
            "role": role,
            "document": request.authorisation_document.name,
        },
    )
    _tell_requester(request)
    return request


# --- Processing and cancelling --------------------------------------------------------------------


@transaction.atomic
def service_desk_request_process(
    *, request_id: int, actor: User, ip_address: str | None = None
) -> ServiceDeskRequest:
    """Move the existing account to the new school exactly as a transfer does: the requester's
    new account is deactivated and deleted 12 months later, and both are signed out."""
    request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school")
        .get(pk=request_id)
    )
    if request.status != Status.AUTHORISED:
        raise ServiceDeskError(_("Only an authorised request can be processed."))
    if request.requester_id is None or request.previous_account_id is None:
        raise ServiceDeskError(_("One of the two accounts no longer exists."))
    locked = {
        user.pk: user
        for user in User.objects.select_for_update(of=("self",))
        .select_related("school")
        .filter(pk__in=[request.requester_id, request.previous_account_id])
        .order_by("pk")  # always the same order: two desks cannot deadlock
    }
    requester = locked[request.requester_id]
    previous = locked[request.previous_account_id]
    if previous.school_id != request.previous_school_id:
        raise ServiceDeskError(
            _("The account %(username)s has moved meanwhile.") % {"username": previous.username}
        )
    if requester.school_id != request.new_school_id or not requester.is_active:
        raise ServiceDeskError(
            _("The new account %(username)s is no longer active at %(school)s.")
            % {"username": requester.username, "school": request.new_school.name}
        )
    transfer_kind_check(requester.kind)
    transfer_previous_account(
        requester=requester,
        previous_school=request.previous_school,
        previous_username=previous.username,
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
    account_take_over(
        previous=previous,
        replaced=requester,
        new_school=request.new_school,
        reason=AccountMove.Reason.SERVICE_DESK,
        actor=actor,
        details={"service_desk_request": request.pk, "replaces": requester.username},
        ip_address=ip_address,
    )
    request.status = Status.COMPLETED
    request.processed_by = actor
    request.finished_at = timezone.now()
    request.save(update_fields=["status", "processed_by", "finished_at"])
    _event(request, "completed", actor)
    audit_record(
        actor=actor,
        action="service_desk.completed",
        target=request,
        school=request.new_school,
        ip_address=ip_address,
        details={"account": previous.username, "replaced": requester.username},
    )
    previous.refresh_from_db()
    # Told at the account they keep (the new one is closed now), and at the one it replaces.
    _tell_requester(request, to=previous)
    if requester.email and requester.email != previous.email:
        _tell_requester(request, to=requester)
    return request


@transaction.atomic
def service_desk_request_cancel(
    *, request_id: int, actor: User, ip_address: str | None = None
) -> ServiceDeskRequest:
    """End an open request (the requester, or the Hwb team); both accounts stay as they are."""
    request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school", "requester")
        .get(pk=request_id)
    )
    if request.status not in ServiceDeskRequest.OPEN:
        raise ServiceDeskError(_("This request is no longer open."))
    by_requester = actor.pk == request.requester_id
    request.status = Status.CANCELLED
    request.finished_at = timezone.now()
    request.link_nonce = ""
    request.save(update_fields=["status", "finished_at", "link_nonce"])
    _event(request, "cancelled" if by_requester else "cancelled_by_desk", actor)
    audit_record(
        actor=actor,
        action="service_desk.cancelled",
        target=request,
        school=request.new_school,
        ip_address=ip_address,
        details={"by_requester": by_requester},
    )
    if by_requester:
        _tell_desk(request, "cancelled")
    else:
        _tell_requester(request)
    return request
