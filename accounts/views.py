"""Thin views: sign-in, re-authentication, passwords and the digital champion's tools (the
dashboard and Your Details are composed in hwb_portal.dashboards)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language

from core.http import client_ip, sign_in_reason, sign_in_reason_clear

from . import activity, downloads, rules, selectors, services, signin
from .forms import (
    AccountSearchForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    ReauthForm,
    SignInForm,
)
from .models import SchoolRole
from .reauth import reauth_mark, recent_reauth_required
from .second_factor import second_factor_required
from .shown_once import one_time_password_keep, one_time_password_take


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reason"] = sign_in_reason(self.request, next_url=self.get_redirect_url())
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        sign_in_reason_clear(self.request)
        user = form.get_user()
        services.account_session_record(
            user=user, event="signed_in", ip_address=client_ip(self.request)
        )
        # A language chosen on the sign-in page wins over the account's and school's defaults.
        language = self.request.session.get(LANGUAGE_CHOSEN_SESSION_KEY) or (
            selectors.interface_language(user)
        )
        if not second_factor_required(user):
            language_choice_keep(self.request)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.account_session_record(
                user=request.user, event="signed_out", ip_address=client_ip(request)
            )
        return super().post(request, *args, **kwargs)


# A language chosen before the account is known (on the sign-in page, or before the second
# factor): saved on the account once the person is fully signed in, as their explicit choice.
LANGUAGE_CHOSEN_SESSION_KEY = "hwb_language_chosen"


def language_choice_keep(request: HttpRequest) -> None:
    """Save the language chosen while signing in on the account, now fully signed in."""
    chosen = request.session.pop(LANGUAGE_CHOSEN_SESSION_KEY, "")
    if chosen and request.user.is_authenticated:
        services.account_language_set(
            user=request.user, language=chosen, ip_address=client_ip(request)
        )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language, remembering the choice on the account of whoever is signed in."""
    response = set_language(request)
    language = request.POST.get("language", "")
    # Before its second factor, a session changes only its own pages' language, not the account.
    if request.user.is_authenticated and (
        request.user.is_verified() or not second_factor_required(request.user)
    ):
        services.account_language_set(
            user=request.user, language=language, ip_address=client_ip(request)
        )
    elif language in dict(settings.LANGUAGES):
        request.session[LANGUAGE_CHOSEN_SESSION_KEY] = language
    return response


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes calls this when a username, or (far more often) an address, has failed."""
    address = getattr(request, "hwb_lockout", "") == signin.LOCKED_ADDRESS
    return render(request, "accounts/locked_out.html", {"address": address}, status=429)


@never_cache
@sensitive_post_parameters("password", "code")
@login_required
@require_http_methods(["GET", "POST"])
def reauth(request: HttpRequest) -> HttpResponse:
    """“You will be prompted to login again as an extra security measure.”"""
    from .second_factor_views import security_code_form, security_code_passed

    form = ReauthForm(request, data=request.POST or None, signed_in_user=request.user)
    # Accounts with a second factor give a code from their app too.
    code_form = security_code_form(request)
    if request.method == "POST" and form.is_valid() and security_code_passed(request, code_form):
        reauth_mark(request)
        return redirect(_safe_next(request, "user_management"))
    if not request.user.is_authenticated:  # wrong codes locked the account: signed out
        return locked_out(request)
    return render(
        request,
        "accounts/reauth.html",
        {"form": form, "code_form": code_form, "next": _safe_next(request, "")},
    )


@never_cache
@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    forced = request.user.must_change_password
    form = PasswordChangeForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        services.account_password_change(
            user=request.user,
            new_password=form.cleaned_data["new_password"],
            ip_address=client_ip(request),
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})


@never_cache
@recent_reauth_required
def champion_account_list(request: HttpRequest) -> HttpResponse:
    school = selectors.champion_school(request.user)
    form = AccountSearchForm(request.GET or None, kinds=selectors.school_account_kinds(school))
    filters = form.filters()
    page = selectors.school_accounts_for_champion(
        champion=request.user, page=request.GET.get("page", 1), **_list_filters(filters)
    )
    return render(
        request,
        "accounts/champion_account_list.html",
        {"form": form, "page": page, "query": urlencode(filters)},
    )


def _list_filters(filters: dict[str, str]) -> dict[str, str]:
    """The form's filters as the selector's arguments (its ``q`` is the search)."""
    return {("search" if name == "q" else name): value for name, value in filters.items()}


@never_cache
@recent_reauth_required
@require_safe
def champion_accounts_download(request: HttpRequest) -> StreamingHttpResponse:
    """The list as a CSV file: every account the search and filter find (audited)."""
    school = selectors.champion_school(request.user)
    form = AccountSearchForm(request.GET or None, kinds=selectors.school_account_kinds(school))
    filters = _list_filters(form.filters())
    accounts = selectors.school_accounts_found(champion=request.user, **filters)
    services.accounts_download_record(
        actor=request.user,
        school=school,
        count=accounts.count(),
        filters=filters,
        ip_address=client_ip(request),
    )
    response = StreamingHttpResponse(
        downloads.accounts_csv_rows(accounts.iterator(chunk_size=500)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="hwb-accounts-{school.dfes_number}.csv"'
    )
    return response


@never_cache
@recent_reauth_required
def champion_account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    is_champion = SchoolRole.Role.DIGITAL_CHAMPION in selectors.user_roles_at_school(account)
    return render(
        request,
        "accounts/champion_account_detail.html",
        {
            "account": account,
            "reset_refusal": rules.password_reset_refusal(actor=request.user, account=account),
            "is_champion": is_champion,
            "champion_refusal": rules.champion_role_refusal(
                actor=request.user, account=account, promote=not is_champion
            ),
        },
    )


@never_cache
@recent_reauth_required
@require_POST
def champion_role(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the account a digital champion, or stop it being one; back to its page."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    champion = request.POST.get("champion") == "yes"
    try:
        changed = services.champion_role_set(
            actor=request.user, account=account, champion=champion, ip_address=client_ip(request)
        )
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        if changed and champion:
            messages.success(
                request,
                _(
                    "%(name)s is now a digital champion. At their next sign-in they will set up "
                    "two-step verification."
                )
                % {"name": account.get_full_name()},
            )
        elif changed:
            messages.success(
                request,
                _("%(name)s is no longer a digital champion.") % {"name": account.get_full_name()},
            )
    if not champion and account.pk == request.user.pk:
        return redirect("user_management")  # no longer theirs to manage
    return redirect("accounts:champion_account", pk=account.pk)


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def champion_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST resets, then redirects to the page that shows the password.

    Post/redirect/get: a refresh of the next page shows nothing new and resets nothing.
    """
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    form = PasswordResetConfirmForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                password = services.account_password_reset(
                    actor=request.user,
                    account=account,
                    ip_address=client_ip(request),
                    form_key=form.cleaned_data["form_key"],
                )
            except services.AccountResetRepeated:
                # A double click: the first click's password waits on the next page.
                return redirect("accounts:champion_password_reset_done", pk=account.pk)
            except services.AccountError as exc:
                error = str(exc)
            else:
                one_time_password_keep(request, account=account, password=password)
                return redirect("accounts:champion_password_reset_done", pk=account.pk)
        else:
            error = form.errors["form_key"][0]
        form = PasswordResetConfirmForm()  # a fresh key for the next try
    refusal = rules.password_reset_refusal(actor=request.user, account=account)
    return render(
        request,
        "accounts/champion_password_reset.html",
        {"account": account, "form": form, "error": error, "reset_refusal": refusal},
        status=403 if refusal else 400 if error else 200,
    )


@never_cache
@recent_reauth_required
@require_POST
def champion_account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the lock-out of one of the school's accounts (repeated failed sign-ins)."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    try:
        services.account_unlock(actor=request.user, account=account, ip_address=client_ip(request))
    except services.AccountError as error:
        return render(
            request,
            "accounts/champion_account_detail.html",
            {
                "account": account,
                "error": str(error),
                "reset_refusal": rules.password_reset_refusal(actor=request.user, account=account),
            },
            status=400,
        )
    messages.success(
        request,
        _("%(name)s’s account is unlocked: they can sign in again.")
        % {"name": account.get_full_name()},
    )
    return redirect("accounts:champion_account", pk=account.pk)


@never_cache
@recent_reauth_required
def champion_password_reset_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-time password, shown once; a refresh or a later visit says it has been shown."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    password = one_time_password_take(request, account=account)
    return render(
        request,
        "accounts/champion_password_reset_done.html",
        {"account": account, "password": password},
    )


@never_cache
@recent_reauth_required
@require_safe
def school_activity(request: HttpRequest) -> HttpResponse:
    """What was done to the school's accounts: for its headteacher and digital champions."""
    school = activity.activity_school(request.user)
    group = request.GET.get("group", "")
    group = group if group in activity.GROUPS else ""
    search = request.GET.get("q", "")[:64]
    return render(
        request,
        "accounts/school_activity.html",
        {
            "school": school,
            "page": activity.school_activity(
                school=school, group=group, search=search, page=request.GET.get("page", 1)
            ),
            "groups": activity.GROUPS,
            "group": group,
            "search": search,
        },
    )
