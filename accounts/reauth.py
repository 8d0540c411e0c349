"""The User management area's second sign-in: proof of a recent password, kept in the session.

The proof lasts HWB_REAUTH_MINUTES from the last thing done in User management (it slides with
activity), and each page warns before it ends, with a way to stay (WCAG 2.2.1: the GOV.UK
timeout-warning pattern, ``static/js/timeout-warning.mjs``). When it has ended, the sign-in page
says why, and a form sent meanwhile is kept (its password fields aside) to be sent again after
signing in: nothing typed is lost.
"""

from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "hwb_reauth"
PENDING_KEY = "hwb_reauth_pending"  # a form sent after the proof ended: {"path", "data"}
EXPIRED_KEY = "hwb_reauth_expired"  # the proof ended (rather than never given): say so
# Requests that must not keep the window open by themselves (a page's own status polling).
PASSIVE_HEADER = "status-poll"
# A kept form holds at most this many fields, of at most this many characters each, and at most
# PENDING_TOTAL_MAX characters in all (a bigger one is not kept: the session stays small).
PENDING_FIELDS_MAX = 200
PENDING_VALUE_MAX = 5000
PENDING_TOTAL_MAX = 20_000
# Query parameters that must not survive a detour through the sign-in (they restart things).
DROPPED_FROM_NEXT = frozenset({"reset"})


def reauth_mark(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = {
        "user": request.user.pk,
        "at": timezone.now().timestamp(),
    }
    request.session.pop(EXPIRED_KEY, None)


def reauth_seconds_left(request: HttpRequest) -> int:
    """Seconds until the proof ends (0 when there is none, or it has ended)."""
    proof = request.session.get(SESSION_KEY)
    if not proof or proof.get("user") != request.user.pk:
        return 0
    age_seconds = timezone.now().timestamp() - proof.get("at", 0)
    if age_seconds < 0:
        return 0
    return max(0, int(settings.HWB_REAUTH_MINUTES * 60 - age_seconds))


def reauth_is_recent(request: HttpRequest) -> bool:
    return reauth_seconds_left(request) > 0


def reauth_extend(request: HttpRequest) -> int:
    """Slide a proof that is still valid to a full window again; returns the seconds left."""
    if not reauth_is_recent(request):
        return 0
    reauth_mark(request)
    return settings.HWB_REAUTH_MINUTES * 60


def next_without_restart(path: str) -> str:
    """``path`` without the query parameters that restart a wizard (``reset=1``)."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k not in DROPPED_FROM_NEXT]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _kept_fields(request: HttpRequest) -> dict[str, list[str]]:
    """The sent form's fields worth keeping: never a password, a code or the CSRF token."""
    kept = {}
    for name in list(request.POST.keys())[:PENDING_FIELDS_MAX]:
        lowered = name.lower()
        if "password" in lowered or "code" in lowered or lowered == "csrfmiddlewaretoken":
            continue
        kept[name] = [value[:PENDING_VALUE_MAX] for value in request.POST.getlist(name)]
    total = sum(len(name) + sum(map(len, values)) for name, values in kept.items())
    return kept if total <= PENDING_TOTAL_MAX else {}


def reauth_pending_take(request: HttpRequest, *, path: str) -> dict[str, list[str]] | None:
    """The form kept for ``path`` while the person signed in again (removed as it is read)."""
    pending = request.session.pop(PENDING_KEY, None)
    if not pending or pending.get("path") != urlsplit(path).path:
        return None
    return pending.get("data") or None


def recent_reauth_required(view):
    """Signed in, and active in User management within HWB_REAUTH_MINUTES; otherwise ask for
    the password again (keeping what was sent). Each page it serves slides the window and
    carries ``request.hwb_reauth_seconds`` for the page's timeout warning."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reauth_is_recent(request):
            if request.session.get(SESSION_KEY):
                request.session[EXPIRED_KEY] = True
            kept = _kept_fields(request) if request.method == "POST" else {}
            if kept:
                request.session[PENDING_KEY] = {"path": request.path, "data": kept}
            else:
                request.session.pop(PENDING_KEY, None)
            query = urlencode({"next": next_without_restart(request.get_full_path())})
            return redirect(f"{reverse('accounts:reauth')}?{query}")
        if request.headers.get("X-Requested-With") == PASSIVE_HEADER:
            request.hwb_reauth_seconds = reauth_seconds_left(request)
        else:
            request.hwb_reauth_seconds = reauth_extend(request)
        return view(request, *args, **kwargs)

    return wrapper
