"""Thin views of service-desk requests: the member of staff's pages, and the written
authorisation page the previous organisation opens from its email (no sign-in: the link went to
its headteacher's address, and the link itself is the proof)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from accounts.reauth import recent_reauth_required
from core.http import client_ip
from core.links import link_follow, link_followed
from transfers.rules import TransferError
from transfers.views import _no_referrer
from transfers.wizards import PreviousAccountWizard

from . import authorisation, selectors, services
from .forms import AuthorisationForm, CheckAnswersForm, PreviousAccountForm

# The authorisation link's token, kept in the session once followed (the page's URL stays clean).


def _workforce_only(user: User) -> None:
    if not user.is_staff_member:
        raise Http404


def _not_offered(request: HttpRequest) -> HttpResponse:
    """Why this is not for them: governors and ITE students, or staff of a school not new."""
    return render(request, "service_desk/not_offered.html")


# --- The member of staff's pages ------------------------------------------------------------------


@never_cache
@recent_reauth_required
@require_safe
def start(request: HttpRequest) -> HttpResponse:
    """Keep my existing Hwb account: what happens and what is needed, before starting."""
    _workforce_only(request.user)
    if not selectors.may_ask_service_desk(request.user):
        return _not_offered(request)
    if selectors.service_desk_request_open_of(requester=request.user):
        return redirect("service_desk:status")
    return render(request, "service_desk/start.html")


@method_decorator([never_cache, recent_reauth_required], name="dispatch")
class ServiceDeskWizard(PreviousAccountWizard):
    """Step 1 of 2: previous organisation, existing username and a note; 2: check and Submit."""

    form_list = [("previous-account", PreviousAccountForm), ("check", CheckAnswersForm)]
    templates = {
        "previous-account": "service_desk/wizard_previous_account.html",
        "check": "service_desk/wizard_check.html",
    }

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        _workforce_only(request.user)
        if not selectors.may_ask_service_desk(request.user):
            return redirect("service_desk:start")
        if selectors.service_desk_request_open_of(requester=request.user):
            return redirect("service_desk:status")
        return super().dispatch(request, *args, **kwargs)

    def done(self, form_list, form_dict=None, **kwargs):
        previous = form_dict["previous-account"].cleaned_data
        try:
            services.service_desk_request_raise(
                requester=self.request.user,
                previous_dfes=previous["dfes_number"],
                previous_username=previous["previous_username"],
                note=previous.get("note", ""),
                raised_by=self.request.user,
                ip_address=client_ip(self.request),
            )
        except TransferError as error:
            raise self.refuse(form_dict, error) from None
        messages.success(
            self.request,
            _(
                "Your request has been sent to the Hwb service desk. It will ask %(school)s "
                "for written authorisation; you will get an email at this account as it "
                "progresses."
            )
            % {"school": previous["previous_school"].name},
        )
        return redirect("service_desk:status")


service_desk_wizard = ServiceDeskWizard.as_view(
    url_name="service_desk:wizard", done_step_name="done"
)


def _status_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    requests = selectors.service_desk_requests_of(user=request.user)
    # The open request, or else the latest one (its outcome and timeline stay in view).
    current = next((each for each in requests if each.is_open), None) or next(iter(requests), None)
    return render(
        request,
        "service_desk/status.html",
        {
            "current": current,
            "past": [each for each in requests if each is not current],
            "error": error,
        },
        status=status,
    )


@never_cache
@recent_reauth_required
@require_safe
def status(request: HttpRequest) -> HttpResponse:
    """The request's status and timeline (and the one that moved this account here)."""
    _workforce_only(request.user)
    return _status_page(request)


@never_cache
@recent_reauth_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the request while it is open; both accounts stay as they are."""
    _workforce_only(request.user)
    desk_request = selectors.service_desk_request_for_requester(requester=request.user, pk=pk)
    try:
        services.service_desk_request_cancel(
            request_id=desk_request.pk, actor=request.user, ip_address=client_ip(request)
        )
    except TransferError as error:
        return _status_page(request, error=str(error), status=400)
    messages.success(
        request,
        _(
            "Your request has been cancelled. Keep using the Hwb account created at your new "
            "school."
        ),
    )
    return redirect("service_desk:status")


# --- The written authorisation page ---------------------------------------------------------------


def _link_problem(request: HttpRequest, message: str) -> HttpResponse:
    """A plain page saying why nothing was done (status 400; nothing has changed)."""
    return render(request, "service_desk/link_problem.html", {"message": message}, status=400)


@never_cache
@_no_referrer
@require_safe
def authorise_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: checked, kept in the session, swapped for a clean URL (the token
    never stays in the address bar or a Referer). A GET never answers (mail scanners follow)."""
    try:
        authorisation.service_desk_request_from_link(token)
    except TransferError as error:
        return _link_problem(request, str(error))
    return link_follow(
        request, token, purpose=services.AUTHORISATION_LINK, to="service_desk:authorise"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def authorise(request: HttpRequest) -> HttpResponse:
    """Who asks, which account, to which new school; the written answer (POST) is recorded once."""
    token = link_followed(request, purpose=services.AUTHORISATION_LINK)
    if not token:
        return _link_problem(request, _("Open the link in the email again to see the request."))
    try:  # checked again on every visit and every POST: answered, expired or replaced
        desk_request = authorisation.service_desk_request_from_link(token)
    except TransferError as error:
        return _link_problem(request, str(error))
    desk_request = selectors.service_desk_request_for_page(desk_request.pk)
    form = AuthorisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = form.cleaned_data
        try:
            desk_request = authorisation.service_desk_authorisation_answer(
                token=token,
                authorise=answer["decision"] == AuthorisationForm.AUTHORISE,
                name=answer["full_name"],
                role=answer["role"],
                statement=answer["statement"],
                declared=answer["declared"],
                ip_address=client_ip(request),
            )
        except TransferError as error:
            return _link_problem(request, str(error))
        # The spent token stays: a second click is told the request has been answered.
        return render(request, "service_desk/authorise_done.html", {"desk_request": desk_request})
    return render(
        request,
        "service_desk/authorise.html",
        {"desk_request": desk_request, "form": form},
        status=400 if form.errors else 200,
    )
