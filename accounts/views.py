"""Thin views: sign-in, re-authentication, passwords and the digital champion's tools (the
dashboard and Your Details are composed in hwb_portal.dashboards)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from core.http import client_ip, sign_in_reason, sign_in_reason_clear

from . import selectors, services, signin
from .forms import (
    PasswordChangeForm,
    ReauthForm,
    SignInForm,
)
from .reauth import (
    EXPIRED_KEY,
    PENDING_KEY,
    next_without_restart,
    reauth_extend,
    reauth_mark,
    reauth_pending_take,
)
from .second_factor import second_factor_required


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
        target = next_without_restart(_safe_next(request, reverse("user_management")))
        kept = reauth_pending_take(request, path=target)
        if kept:  # a form sent as the window ended: offer to send it now
            return render(request, "accounts/reauth_resume.html", {"target": target, "kept": kept})
        return redirect(target)
    if not request.user.is_authenticated:  # wrong codes locked the account: signed out
        return locked_out(request)
    return render(
        request,
        "accounts/reauth.html",
        {
            "form": form,
            "code_form": code_form,
            "next": _safe_next(request, ""),
            "expired": request.session.get(EXPIRED_KEY, False),
            "kept": bool(request.session.get(PENDING_KEY)),
        },
    )


@never_cache
@login_required
@require_POST
def reauth_keep(request: HttpRequest) -> HttpResponse:
    """The timeout warning's "Stay in User management": a fresh window, if the old one has not
    ended (JSON for the page's script; without scripts, back to the page)."""
    seconds = reauth_extend(request)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"seconds_left": seconds}, status=200 if seconds else 403)
    return redirect(_safe_next(request, reverse("user_management")))


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
