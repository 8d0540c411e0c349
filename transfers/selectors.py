"""Reads of Account Transfer: a member of staff's requests, and the requests a decider decides."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User

from .models import TransferRequest
from .services import transfer_may_decide

Status = TransferRequest.Status


def may_ask_for_transfer(user: User) -> bool:
    """Only school staff accounts can be moved (governors and ITE students are told why not)."""
    return user.is_authenticated and user.kind == User.Kind.STAFF and user.school_id is not None


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


def transfer_request_awaiting_choice(*, requester: User) -> TransferRequest | None:
    """An approved request waiting for Proceed with transfer or Cancel Request (the banner)."""
    return (
        TransferRequest.objects.filter(requester=requester, status=Status.APPROVED)
        .order_by("-created_at", "-pk")
        .first()
    )


def request_for_requester(*, requester: User, pk: int) -> TransferRequest:
    """One of the member of staff's own requests, or 404."""
    request = TransferRequest.objects.filter(requester=requester, pk=pk).first()
    if request is None:
        raise Http404
    return request


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
        request
        for request in _with_details(waiting).order_by("created_at", "pk")
        if transfer_may_decide(user=user, request=request)
    ]


def request_for_decider(*, user: User, pk: int) -> TransferRequest:
    """A request this user decides (now, or decided before), or 404."""
    request = _with_details(TransferRequest.objects.filter(pk=pk)).first()
    if request is None or not transfer_may_decide(user=user, request=request):
        raise Http404
    return request


def request_for_decision_page(pk: int) -> TransferRequest:
    """The request a decision link led to, with what its page shows."""
    return _with_details(TransferRequest.objects.filter(pk=pk)).get()
