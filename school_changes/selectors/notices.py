"""Reads of notices: what an officer of an authority may see."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404

from accounts.models import User
from school_changes.models import SchoolNotice
from schools.models import School

Kind = SchoolNotice.Kind
Status = SchoolNotice.Status


def notices_for_officer(officer: User):
    """The officer's authority's notices, newest first."""
    return (
        SchoolNotice.objects.filter(local_authority_id=officer.local_authority_id)
        .select_related("school", "continuing_school", "match_list")
        .prefetch_related("closing_schools")
    )


def notices_needing_officer(officer: User) -> list[SchoolNotice]:
    """The authority's notices waiting for an officer: staff matches to review (proposed, or
    returned by the Hwb team), oldest date first."""
    if officer.kind != User.Kind.LA_OFFICER or not officer.local_authority_id:
        return []
    return list(
        SchoolNotice.objects.filter(
            local_authority_id=officer.local_authority_id,
            status=Status.IN_PROGRESS,
            match_list__status="proposed",
        )
        .select_related("match_list")
        .order_by("effective_date", "pk")[:20]
    )


def notices_page_for_officer(officer: User, page: str | int | None) -> Page:
    """One page of the officer's authority's notices, newest first (a bad page number gives
    the nearest real page)."""
    return Paginator(notices_for_officer(officer), settings.HWB_PAGE_SIZE).get_page(page)


def notice_for_officer(*, officer: User, pk: int) -> SchoolNotice:
    """One of the officer's authority's notices, or 404 (another authority's is not theirs)."""
    notice = (
        notices_for_officer(officer)
        .select_related("local_authority")
        .prefetch_related("receiving_schools", "events")
        .filter(pk=pk)
        .first()
    )
    if notice is None or not officer.local_authority_id:
        raise Http404
    return notice


def schools_for_officer(officer: User):
    """The open schools of the officer's authority: those a notice may say are changing."""
    return School.objects.filter(
        local_authority_id=officer.local_authority_id, status=School.Status.OPEN
    ).order_by("name_en")
