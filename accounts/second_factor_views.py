"""Thin views of the second factor: setting up the app, the code after the password, and
recovery codes (shown once)."""

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login

from core.http import client_ip

from . import second_factor as services
from .forms import AppCodeForm, SecurityCodeForm
from .reauth import recent_reauth_required
from .views import _safe_next, language_choice_keep, locked_out

SETUP_KEY_SESSION = "hwb_second_factor_key"
RECOVERY_CODES_SESSION = "hwb_recovery_codes"


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def security_code_form(request: HttpRequest) -> SecurityCodeForm | None:
    """The code field of the second sign-in, for accounts that need a second factor."""
    if not services.second_factor_required(request.user):
        return None
    return SecurityCodeForm(request.POST or None)


def security_code_passed(request: HttpRequest, form: SecurityCodeForm | None) -> bool:
    """True when no code is needed or the form's code is right (the session is then verified).

    A wrong code counts as a failed sign-in of the account (django-axes): when that locks the
    account, the session is signed out too, and the caller shows the lock-out page.
    """
    if form is None:
        return True
    if not form.is_valid():
        return False
    user = request.user
    credentials = {"username": user.username}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return False
    try:
        device = services.second_factor_verify(
            user=user, code=form.cleaned_data["code"], ip_address=client_ip(request)
        )
    except services.SecondFactorError as error:
        form.add_error("code", str(error))
        if error.code == "wrong":
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                logout(request)
        return False
    otp_login(request, device)
    language_choice_keep(request)
    return True


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the app or a recovery code, before anything else."""
    user = request.user
    next_url = _safe_next(request, reverse("home"))
    if not services.second_factor_required(user) or user.is_verified():
        return redirect(next_url)
    if services.second_factor_app(user) is None:
        return redirect(_with_next("accounts:second_factor_set_up", next_url))
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST":
        if security_code_passed(request, form):
            request.session.cycle_key()  # a new session id for the fully signed-in session
            return redirect(next_url)
        if not request.user.is_authenticated:
            return locked_out(request)
    return render(request, "accounts/second_factor.html", {"form": form, "next": next_url})


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code and the key as text, then a code to confirm."""
    user = request.user
    next_url = _safe_next(request, reverse("home"))
    if not services.second_factor_required(user):
        return redirect(next_url)
    if services.second_factor_app(user) is not None:
        return redirect(_with_next("accounts:second_factor", next_url))
    # The key waits in the session (server side) until a code from the app confirms it.
    key_hex = request.session.get(SETUP_KEY_SESSION)
    if not key_hex:
        key_hex = request.session[SETUP_KEY_SESSION] = services.totp_key_new().hex()
    key = bytes.fromhex(key_hex)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app, codes = services.second_factor_set_up(
                user=user, key=key, code=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except services.SecondFactorError as error:
            form.add_error("code", str(error))
        else:
            otp_login(request, app)
            language_choice_keep(request)
            request.session.cycle_key()
            del request.session[SETUP_KEY_SESSION]
            request.session[RECOVERY_CODES_SESSION] = codes
            return redirect(_with_next("accounts:recovery_codes", next_url))
    return render(
        request,
        "accounts/second_factor_set_up.html",
        {
            "form": form,
            "next": next_url,
            "key_text": services.totp_key_text(key),
            "qr_code": services.totp_setup_qr_code(user=user, key=key),
        },
    )


@never_cache
@login_required
@require_safe
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once: seen again, the page says they were already shown."""
    codes = request.session.pop(RECOVERY_CODES_SESSION, None)
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": [services.recovery_code_display(code) for code in codes or []],
            "next": _safe_next(request, reverse("home")),
            "shown_once": bool(codes),
        },
    )


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    """Your Details: new recovery codes (the old ones stop working)."""
    if request.method == "POST":
        try:
            codes = services.recovery_codes_replace(
                user=request.user, ip_address=client_ip(request)
            )
        except services.SecondFactorError as error:
            return render(
                request, "accounts/recovery_codes_new.html", {"error": str(error)}, status=400
            )
        request.session[RECOVERY_CODES_SESSION] = codes
        return redirect(_with_next("accounts:recovery_codes", reverse("profile")))
    return render(request, "accounts/recovery_codes_new.html")
