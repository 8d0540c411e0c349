"""Written authorisation of a service-desk request by the previous organisation: the signed,
single-use link to its headteacher and the answer given on that page, or a document the desk
received another way (checked by its first bytes)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import email_enqueue
from accounts.models import User
from accounts.selectors import interface_language
from accounts.services import audit_record
from core.links import LinkExpired, LinkInvalid, link_read, link_token, new_nonce
from core.text import text_clean

from .models import ServiceDeskRequest
from .selectors import service_desk_authorisers
from .services import (
    AUTHORISATION_LINK,
    DOCUMENT_SIGNATURES,
    NAME_MAX,
    STATEMENT_MAX,
    ServiceDeskError,
    desk_claim_close,
    desk_event_add,
    desk_tell,
    requester_tell,
)

Status = ServiceDeskRequest.Status
# However long HWB_AUTHORISATION_LINK_DAYS asks for (a system check refuses more), a link that
# opens the way to someone's account lasts at most this many days.
AUTHORISATION_LINK_MAX_DAYS = 14


def authorisation_link_days() -> int:
    """How many days an authorisation link lasts: the setting, never more than 14."""
    return min(settings.HWB_AUTHORISATION_LINK_DAYS, AUTHORISATION_LINK_MAX_DAYS)


def service_desk_authorisation_link(desk_request: ServiceDeskRequest) -> str:
    """The absolute, signed link in the authoriser's email (one request, single use, expiring)."""
    token = link_token(
        purpose=AUTHORISATION_LINK, pk=desk_request.pk, nonce=desk_request.link_nonce
    )
    return settings.HWB_PORTAL_URL + reverse("service_desk:authorise_link", args=[token])


def _link_data(token: str) -> dict:
    try:
        link = link_read(
            token, purpose=AUTHORISATION_LINK, max_age=timedelta(days=authorisation_link_days())
        )
    except LinkExpired:
        raise ServiceDeskError(
            _("This link has expired. Ask the Hwb service desk (hwb@gov.wales) for a new one.")
        ) from None
    except LinkInvalid:
        raise ServiceDeskError(_("This link is not valid.")) from None
    return {"r": link.pk, "n": link.nonce}


def _request_of_link(desk_request: ServiceDeskRequest | None, data: dict) -> ServiceDeskRequest:
    if desk_request is None:
        raise ServiceDeskError(_("This link is not valid."))
    if desk_request.link_nonce != data["n"] or desk_request.status != Status.AWAITING:
        if desk_request.status != Status.AWAITING:
            raise ServiceDeskError(
                _("This request has already been answered or closed: %(status)s.")
                % {"status": desk_request.get_status_display()}
            )
        raise ServiceDeskError(
            _("This link has been replaced by a newer one. Use the link in the latest email.")
        )
    return desk_request


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
    desk_request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "previous_account", "new_school", "requester")
        .get(pk=request_id)
    )
    if desk_request.status not in (Status.RECEIVED, Status.AWAITING):
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
        recipients = [
            (user.email, user) for user in service_desk_authorisers(desk_request=desk_request)
        ]
    if not recipients:
        raise ServiceDeskError(
            _(
                "%(school)s has no headteacher in Hwb, and its local authority has no officer in "
                "Hwb. Type the address of someone who may authorise for it."
            )
            % {"school": desk_request.previous_school.name}
        )
    first_ask = desk_request.status == Status.RECEIVED
    desk_request.status = Status.AWAITING
    desk_request.link_nonce = new_nonce()  # earlier links are spent
    desk_request.authoriser_email = recipients[0][0]
    desk_request.authorisation_requested_at = timezone.now()
    desk_request.save(
        update_fields=["status", "link_nonce", "authoriser_email", "authorisation_requested_at"]
    )
    addresses = ", ".join(address for address, _user in recipients)
    desk_event_add(desk_request, "authorisation_asked", actor, addresses)
    audit_record(
        actor=actor,
        action="service_desk.authorisation_asked",
        target=desk_request,
        school=desk_request.previous_school,
        ip_address=ip_address,
        details={"to": [address for address, _user in recipients], "typed": bool(email)},
    )
    link = service_desk_authorisation_link(desk_request)
    for address, user in recipients:
        email_enqueue(
            to=address,
            template="service_desk_authorisation",
            context={
                "request": desk_request,
                "authoriser": user,
                "link": link,
                "link_days": authorisation_link_days(),
            },
            language=interface_language(user) if user else "",
            bilingual=True,  # Welsh and English, the reader's own language first
        )
    if first_ask:
        requester_tell(desk_request)  # who was asked, never their address
    return desk_request


# --- The previous organisation's answer -----------------------------------------------------------


def _answer_fields_check(*, name: str, role: str, statement: str) -> tuple[str, str, str]:
    name = text_clean(name or "", limit=NAME_MAX + 1)
    role = text_clean(role or "", limit=NAME_MAX + 1)
    statement = text_clean(statement or "", limit=STATEMENT_MAX + 1)
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
    desk_request: ServiceDeskRequest,
    *,
    authorise: bool,
    name: str,
    role: str,
    statement: str,
    method: str,
) -> None:
    desk_request.status = Status.AUTHORISED if authorise else Status.DECLINED
    desk_request.authorisation_method = method
    desk_request.authoriser_name = name
    desk_request.authoriser_role = role
    desk_request.authoriser_statement = statement
    desk_request.authorised_at = timezone.now()
    desk_request.link_nonce = ""  # every link to it is spent
    if not authorise:
        desk_request.finished_at = desk_request.authorised_at
        desk_claim_close(desk_request)


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
    desk_request = _request_of_link(
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
        desk_request,
        authorise=authorise,
        name=name,
        role=role,
        statement=statement,
        method=ServiceDeskRequest.Method.LINK,
    )
    desk_request.save()
    desk_event_add(desk_request, desk_request.status, None, f"{name}, {role}")
    audit_record(
        actor=None,
        action=f"service_desk.{desk_request.status}",
        target=desk_request,
        school=desk_request.previous_school,
        ip_address=ip_address,
        details={
            "method": ServiceDeskRequest.Method.LINK,
            "name": name,
            "role": role,
            "link_sent_to": desk_request.authoriser_email,
        },
    )
    requester_tell(desk_request)
    desk_tell(desk_request, desk_request.status)
    return desk_request


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
    desk_request = (
        ServiceDeskRequest.objects.select_for_update(of=("self",))
        .select_related("previous_school", "new_school", "requester")
        .get(pk=request_id)
    )
    if desk_request.status not in (Status.RECEIVED, Status.AWAITING):
        raise ServiceDeskError(
            _("This request has already been answered or closed: %(status)s.")
            % {"status": desk_request.get_status_display()}
        )
    name, role, statement = _answer_fields_check(name=name, role=role, statement=statement)
    extension, _content_type = authorisation_document_check(document)
    _answer_record(
        desk_request,
        authorise=authorise,
        name=name,
        role=role,
        statement=statement,
        method=ServiceDeskRequest.Method.DOCUMENT,
    )
    # Our own name for the file: the uploaded name may carry anything.
    desk_request.authorisation_document.save(
        f"authorisation-{desk_request.pk}.{extension}", ContentFile(document.read()), save=False
    )
    desk_request.save()
    desk_event_add(desk_request, desk_request.status, actor, f"{name}, {role}")
    audit_record(
        actor=actor,
        action=f"service_desk.{desk_request.status}",
        target=desk_request,
        school=desk_request.previous_school,
        ip_address=ip_address,
        details={
            "method": ServiceDeskRequest.Method.DOCUMENT,
            "name": name,
            "role": role,
            "document": desk_request.authorisation_document.name,
        },
    )
    requester_tell(desk_request)
    return desk_request
