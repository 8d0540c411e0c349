"""Pages composed from several apps: the School Staff Dashboard and Your Details.

Each app below gives what it adds through its own selectors and its own partial (transfers' banners
and button, the service desk's button, school changes' link); these views only put them together,
so no app serves another's URL and no lower app names a higher one's pages.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.reauth import recent_reauth_required
from accounts.rules import authority_admin_id, tutor_groups
from accounts.selectors import user_roles_at_school
from accounts.services import non_mis_accounts_expiring
from provisioning.selectors import latest_sync_to_correct
from school_changes.selectors.notices import notices_needing_officer
from service_desk.selectors import may_ask_service_desk, school_is_new
from transfers import selectors as transfer_selectors


@never_cache
@recent_reauth_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """The School Staff Dashboard (other kinds of account see their own short dashboard), with
    Account Transfer's banners: a reviewed request, and for a headteacher (or local-authority
    officer) the requests waiting for their decision."""
    user = request.user
    roles = user_roles_at_school(user)
    return render(
        request,
        "pages/dashboard.html",
        {
            "roles": roles,
            **transfer_selectors.transfer_waiting_actions(user),
            "sync_to_correct": latest_sync_to_correct(user.school)
            if "digital_champion" in roles
            else None,
            "expiring": non_mis_accounts_expiring(user.school)
            if "digital_champion" in roles
            else [],
            "tutor_groups": tutor_groups(user),
            "authority_admin": authority_admin_id(user) is not None,
        },
    )


@never_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after signing in: User management, and what waits for this person
    (a reviewed Account Transfer request, requests to decide), each linking through the second
    sign-in."""
    if not request.user.is_authenticated:
        return redirect("accounts:sign_in")
    return render(
        request,
        "pages/home.html",
        {
            **transfer_selectors.transfer_waiting_actions(request.user),
            "officer_actions": notices_needing_officer(request.user),
        },
    )


@never_cache
@recent_reauth_required
@require_safe
def profile(request: HttpRequest) -> HttpResponse:
    """Your Details, with the Account Transfer button top right for school staff; staff of a
    new school see Keep my existing Hwb account (the service desk) instead, and governors and
    ITE students of a new school are told why neither is offered."""
    user = request.user
    at_new_school = user.is_staff_member and school_is_new(user.school)
    may_keep_account = at_new_school and may_ask_service_desk(user)
    return render(
        request,
        "pages/profile.html",
        {
            "roles": user_roles_at_school(user),
            "may_transfer": transfer_selectors.may_ask_for_transfer(user) and not may_keep_account,
            "may_keep_account": may_keep_account,
            "not_movable_at_new_school": at_new_school and not may_keep_account,
        },
    )
