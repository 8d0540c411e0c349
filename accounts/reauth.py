"""The User management area's second sign-in: proof of a recent password, kept in the session."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "hwb_reauth"


def reauth_mark(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = {
        "user": request.user.pk,
        "at": timezone.now().timestamp(),
    }


def reauth_is_recent(request: HttpRequest) -> bool:
    proof = request.session.get(SESSION_KEY)
    if not proof or proof.get("user") != request.user.pk:
        return False
    age_seconds = timezone.now().timestamp() - proof.get("at", 0)
    return 0 <= age_seconds < settings.HWB_REAUTH_MINUTES * 60


def recent_reauth_required(view):
    """Signed in, and signed in again within HWB_REAUTH_MINUTES; otherwise ask for it."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reauth_is_recent(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:reauth')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper
