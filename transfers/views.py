"""Thin views of Account Transfer: Your Details' button, the wizard, the status page, decisions.

The member of staff's pages sit in User management (signed in, and signed in again); the
decision link in a headteacher's email needs only the headteacher's own sign-in.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from accounts.reauth import recent_reauth_required
from core.http import client_ip, sign_in_reason_set
from core.links import link_follow, link_followed

from . import rules, selectors, services
from .forms import CheckAnswersForm, DecisionForm, MessageForm, PreviousSchoolForm
from .models import TransferRequest
from .wizards import PreviousAccountWizard

# Shown on the sign-in page to a headteacher who follows the email's link while signed out.
SIGN_IN_TO_DECIDE = gettext_noop("Sign in to decide %(name)s's request to keep their Hwb account.")

# The transferred account's username, shown after Proceed signs the member of staff out.
COMPLETED_SESSION_KEY = "hwb_transfer_completed"


def _workforce_only(view):
    """Transfers are for the school workforce; a learner (or an officer) finds no such page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_staff_member:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _no_learners(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and request.user.kind == User.Kind.LEARNER:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _no_referrer(view):
    """The decision link: its address (with the token) never leaves in a Referer header.

    Never on a page with a form: Chromium then sends "Origin: null", which CSRF refuses.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


# --- The member of staff's pages ------------------------------------------------------------------


def _not_offered(request: HttpRequest) -> HttpResponse:
    return render(request, "transfers/not_offered.html")


@never_cache
@recent_reauth_required
@_workforce_only
@require_safe
def start(request: HttpRequest) -> HttpResponse:
    """Account Transfer: what happens to the new account, and what is needed, before starting."""
    if not selectors.may_ask_for_transfer(request.user):
        return _not_offered(request)
    if selectors.transfer_request_open_of(requester=request.user):
        return redirect("transfers:status")
    return render(request, "transfers/start.html")


@method_decorator([never_cache, recent_reauth_required], name="dispatch")
class TransferWizard(PreviousAccountWizard):
    """Step 1 of 3: previous school and username; 2: message; 3: check and Submit."""

    form_list = [
        ("previous-school", PreviousSchoolForm),
        ("message", MessageForm),
        ("check", CheckAnswersForm),
    ]
    templates = {
        "previous-school": "transfers/wizard_previous_school.html",
        "message": "transfers/wizard_message.html",
        "check": "transfers/wizard_check.html",
    }

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.is_staff_member:
            raise Http404
        if not selectors.may_ask_for_transfer(request.user):
            return redirect("transfers:start")
        if selectors.transfer_request_open_of(requester=request.user):
            return redirect("transfers:status")
        return super().dispatch(request, *args, **kwargs)

    def _approvers(self) -> tuple[str, list[User]]:
        if not hasattr(self, "_approvers_cache"):
            previous = self._previous()
            self._approvers_cache = (
                rules.transfer_approvers(
                    previous_school=previous["previous_school"],
                    previous_account=previous["previous_account"],
                )
                if previous
                else (TransferRequest.Approver.HEADTEACHER, [])
            )
        return self._approvers_cache

    def _headteacher(self) -> User | None:
        approver, deciders = self._approvers()
        if approver == TransferRequest.Approver.HEADTEACHER and deciders:
            return deciders[0]
        return None

    def get_form_kwargs(self, step=None):
        if step == "message":
            approver, _deciders = self._approvers()
            return {"to_local_authority": approver == TransferRequest.Approver.LOCAL_AUTHORITY}
        return super().get_form_kwargs(step)

    def get_form_initial(self, step):
        previous = self._previous() if step == "message" else None
        if previous is None:
            return {}
        return {
            "message": rules.transfer_default_message(
                requester=self.request.user,
                previous_school=previous["previous_school"],
                headteacher=self._headteacher(),
            )
        }

    def get(self, request: HttpRequest, *args, **kwargs):
        step = kwargs.get("step")
        # The check needs the message too (the first step's answers: see the base class).
        if (
            step in ("check", self.done_step_name)
            and self._previous() is not None
            and not self.get_cleaned_data_for_step("message")
        ):
            self.storage.current_step = "message"
            return redirect(self.get_step_url("message"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        if step != self.first_step:
            previous = context["previous"]
            approver, deciders = self._approvers()
            context.update(
                previous_school=previous.get("previous_school"),
                to_local_authority=approver == TransferRequest.Approver.LOCAL_AUTHORITY,
                headteacher=self._headteacher(),
                has_deciders=bool(deciders),
                message=(self.get_cleaned_data_for_step("message") or {}).get("message", "")
                if step == "check"
                else "",
            )
        return context

    def done(self, form_list, form_dict=None, **kwargs):
        previous = form_dict["previous-school"].cleaned_data
        message = form_dict["message"].cleaned_data
        try:
            transfer = services.transfer_request_submit(
                requester=self.request.user,
                previous_dfes=previous["dfes_number"],
                previous_username=previous["previous_username"],
                message=message["message"],
                headteacher_confirmed=message["headteacher_confirmed"],
                ip_address=client_ip(self.request),
            )
        except rules.TransferError as error:
            raise self.refuse(form_dict, error) from None
        if transfer.approver == TransferRequest.Approver.LOCAL_AUTHORITY:
            sent = _(
                "Your request has been sent to the local authority of %(school)s. You will get "
                "an email at your new Hwb account when it has been decided."
            ) % {"school": transfer.previous_school.name}
        else:
            sent = _(
                "Your request has been sent to the headteacher of %(school)s. You will get an "
                "email at your new Hwb account when it has been decided."
            ) % {"school": transfer.previous_school.name}
        messages.success(self.request, sent)
        return redirect("transfers:status")


transfer_wizard = TransferWizard.as_view(url_name="transfers:wizard", done_step_name="done")


def _status_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    transfer_requests = selectors.transfer_requests_of(requester=request.user)
    current = next((each for each in transfer_requests if each.is_open), None)
    rejected = (
        None if current else selectors.transfer_request_recently_rejected(requester=request.user)
    )
    shown = current or rejected
    return render(
        request,
        "transfers/status.html",
        {
            "current": current,
            "rejected": rejected,
            "past": [each for each in transfer_requests if shown is None or each.pk != shown.pk],
            "error": error,
        },
        status=status,
    )


@never_cache
@recent_reauth_required
@_workforce_only
@require_safe
def status(request: HttpRequest) -> HttpResponse:
    """Account Transfer Status: the request, its timeline, and (approved) Proceed or Cancel."""
    if not selectors.may_ask_for_transfer(request.user):
        return _not_offered(request)
    return _status_page(request)


@never_cache
@recent_reauth_required
@_workforce_only
@require_http_methods(["GET", "POST"])
def proceed(request: HttpRequest, pk: int) -> HttpResponse:
    """Proceed with transfer: a GET says what happens to each account before the irreversible
    POST, which brings the previous account here and signs everyone out."""
    transfer = selectors.request_for_requester(requester=request.user, pk=pk)
    if request.method == "GET":
        if transfer.status != TransferRequest.Status.APPROVED:
            return redirect("transfers:status")
        return render(request, "transfers/proceed_confirm.html", {"transfer": transfer})
    try:
        services.transfer_proceed(
            request_id=transfer.pk, requester=request.user, ip_address=client_ip(request)
        )
    except rules.TransferError as error:
        return _status_page(request, error=str(error), status=400)
    logout(request)
    request.session[COMPLETED_SESSION_KEY] = transfer.previous_username
    return redirect("transfers:completed")


@never_cache
@require_safe
def completed(request: HttpRequest) -> HttpResponse:
    """After Proceed: signed out, told which account to sign in with."""
    username = request.session.get(COMPLETED_SESSION_KEY)
    if not username or request.user.is_authenticated:
        return redirect("home")
    return render(request, "transfers/completed.html", {"username": username})


@never_cache
@recent_reauth_required
@_workforce_only
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel Request: the request ends; both accounts stay as they are."""
    transfer = selectors.request_for_requester(requester=request.user, pk=pk)
    try:
        services.transfer_cancel(
            request_id=transfer.pk, requester=request.user, ip_address=client_ip(request)
        )
    except rules.TransferError as error:
        return _status_page(request, error=str(error), status=400)
    messages.success(
        request,
        _(
            "Your request has been cancelled. Keep using the Hwb account created at your new "
            "school."
        ),
    )
    return redirect("transfers:status")


# --- Deciding -------------------------------------------------------------------------------------


def _link_problem(request: HttpRequest, message: str, *, decided: bool = False) -> HttpResponse:
    """A plain page saying why nothing was done (status 400; nothing has changed)."""
    return render(
        request,
        "transfers/link_problem.html",
        {"message": message, "decided": decided},
        status=400,
    )


def _decision_page(request: HttpRequest, transfer: TransferRequest, *, action: str) -> HttpResponse:
    """Show the request, both people side by side and, while it waits, Approve and Reject (with
    the same-person tick when the match is doubtful); a POST decides."""
    form = DecisionForm(request.POST if request.method == "POST" else None, transfer=transfer)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_decide(
                request_id=transfer.pk,
                decider=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                same_person_confirmed=form.cleaned_data["same_person"],
                reason=form.cleaned_data["reason"],
                ip_address=client_ip(request),
            )
        except rules.SamePersonNotConfirmed as refusal:
            form.add_error("same_person", str(refusal))
        except rules.TransferError as refusal:
            return _link_problem(request, str(refusal), decided=True)
        else:
            return render(request, "transfers/decision_done.html", {"transfer": transfer})
    waiting = transfer.status == TransferRequest.Status.SUBMITTED
    return render(
        request,
        "transfers/decision.html",
        {
            "transfer": transfer,
            "action": action,
            "form": form,
            "identity": selectors.transfer_identity_shown(transfer) if waiting else None,
        },
        status=400 if form.errors else 200,
    )


def _forbidden(request: HttpRequest, transfer: TransferRequest) -> HttpResponse:
    return render(request, "transfers/decision_forbidden.html", {"transfer": transfer}, status=403)


@never_cache
@_no_referrer
@_no_learners
@require_safe
def decision_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: checked, kept in the session, and swapped for a clean URL.

    A GET never decides anything (mail scanners follow links)."""
    try:
        selectors.transfer_request_from_link(token)
    except rules.TransferError as error:
        return _link_problem(request, str(error))
    return link_follow(request, token, purpose=selectors.DECISION_LINK, to="transfers:decision")


@never_cache
@_no_learners
@require_http_methods(["GET", "POST"])
def decision(request: HttpRequest) -> HttpResponse:
    """The request a link is for; only whoever decides it (signed in as themselves) may. Signed
    out, the sign-in page says whose request it is for."""
    token = link_followed(request, purpose=selectors.DECISION_LINK)
    if not token and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not token:
        return _link_problem(request, _("Open the link in the email again to see the request."))
    try:  # checked again on every visit and every POST: decided, expired or replaced
        transfer = selectors.transfer_request_from_link(token)
    except rules.TransferError as error:
        return _link_problem(request, str(error))
    transfer = selectors.request_for_decision_page(transfer.pk)
    if not request.user.is_authenticated:
        here = request.get_full_path()
        sign_in_reason_set(
            request,
            next_url=here,
            message=SIGN_IN_TO_DECIDE,
            name=(transfer.requester.get_full_name() if transfer.requester else "")
            or transfer.requester_username,
        )
        return redirect_to_login(here)
    if not selectors.transfer_may_decide(user=request.user, transfer=transfer):
        return _forbidden(request, transfer)
    return _decision_page(request, transfer, action=reverse("transfers:decision"))


@never_cache
@recent_reauth_required
@_no_learners
@require_http_methods(["GET", "POST"])
def decide_from_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """The same decision page, opened from the headteacher's dashboard."""
    transfer = selectors.request_for_decider(user=request.user, pk=pk)
    return _decision_page(
        request, transfer, action=reverse("transfers:decide_from_dashboard", args=[pk])
    )
