"""Reads of service-desk requests: who may ask, and which requests a person or page may see."""

from datetime import date

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.dates import years_before
from school_changes.models import SchoolNotice
from schools.models import School
from transfers.rules import (
    transfer_approvers,
)

from .models import ServiceDeskRequest

Status = ServiceDeskRequest.Status


def school_is_new(school: School | None, *, today: date | None = None) -> bool:
    """A school opened within the last 12 months or opening later: by its opening date, or by
    the local authority's new-school notice that the Hwb team tied to it."""
    if school is None:
        return False
    today = today or timezone.localdate()
    since = years_before(today, 1)
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
    desk_request = ServiceDeskRequest.objects.filter(requester=requester, pk=pk).first()
    if desk_request is None:
        raise Http404
    return desk_request


def service_desk_request_for_page(pk: int) -> ServiceDeskRequest:
    """A request with everything its pages show."""
    return _with_details(ServiceDeskRequest.objects.filter(pk=pk)).get()


def service_desk_authorisers(*, desk_request: ServiceDeskRequest) -> list[User]:
    """Who is asked by default: the previous school's headteacher, or its local authority's
    officers, exactly as Account Transfer decides."""
    if desk_request.previous_account is None:
        return []
    _approver, deciders = transfer_approvers(
        previous_school=desk_request.previous_school, previous_account=desk_request.previous_account
    )
    return [decider for decider in deciders if decider.email]
