"""After a password reset, the account holder must choose a new password before anything else."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

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
