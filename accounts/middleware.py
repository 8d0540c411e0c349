"""Before anything else: a new password after a reset, then the second factor if one is needed."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

from .second_factor import second_factor_app, second_factor_required

ALLOWED = {
    "accounts:password_change",
    "accounts:sign_out",
    "set_language",
    "accessibility",
}


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not request.path_info.startswith(settings.STATIC_URL)
        ):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name not in ALLOWED:
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)


SECOND_FACTOR_ALLOWED = {
    "accounts:second_factor",
    "accounts:second_factor_set_up",
    "accounts:sign_out",
    "set_language",
    "accessibility",
}


class SecondFactorRequiredMiddleware:
    """Accounts that need a second factor reach nothing (the admin included) until the session
    has passed it: set it up if they have none, else give a code. After the forced password
    change, which comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.must_change_password
            and not request.path_info.startswith(settings.STATIC_URL)
            and second_factor_required(user)
            and not user.is_verified()
        ):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name not in SECOND_FACTOR_ALLOWED:
                step = "accounts:second_factor"
                if second_factor_app(user) is None:
                    step = "accounts:second_factor_set_up"
                target = reverse(step)
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)
