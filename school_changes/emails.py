"""Emails about staff match lists: to the officers of the notice, and to the Hwb team."""

from django.conf import settings
from django.urls import reverse

from accounts.emails import email_enqueue
from accounts.models import User
from accounts.selectors import interface_language
from school_changes.models import SchoolNotice, StaffMatchList


def _officers(notice: SchoolNotice) -> list[User]:
    """Who hears about the list: the officer who sent the notice, else the authority's officers."""
    officers = User.objects.filter(
        kind=User.Kind.LA_OFFICER, local_authority_id=notice.local_authority_id, is_active=True
    )
    sender = officers.filter(pk=notice.submitted_by_id).first()
    return [sender] if sender else list(officers)


def _review_url(notice: SchoolNotice) -> str:
    return settings.HWB_PORTAL_URL + reverse("mergers:review", args=[notice.pk])


def _admin_url(match_list: StaffMatchList) -> str:
    return settings.HWB_PORTAL_URL + reverse(
        "admin:school_changes_staffmatchlist_change", args=[match_list.pk]
    )


def officers_tell(notice: SchoolNotice, template: str, context: dict) -> None:
    for officer in _officers(notice):
        email_enqueue(
            to=officer.email,
            template=template,
            context={**context, "notice": notice, "officer": officer, "url": _review_url(notice)},
            language=interface_language(officer),  # not known: both languages, Welsh first
        )


def hwb_team_tell(match_list: StaffMatchList, template: str, context: dict) -> None:
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template=template,
        context={
            **context,
            "match_list": match_list,
            "notice": match_list.notice,
            "url": _admin_url(match_list),
        },
        language=settings.LANGUAGE_CODE,
    )
