"""What the services need to know about a web request: who and from where."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind HWB_TRUSTED_PROXY_COUNT proxies the address
    the outermost trusted proxy saw (the N-th from the right of X-Forwarded-For).

    The audit log, the lock-out (axes) and, through NUM_PROXIES, the API's rate limits read the
    same address. With no trusted proxy a client's own X-Forwarded-For is never read.
    """
    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = settings.HWB_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    # ipware counts the proxies listed in the header after the client; the nearest proxy is
    # REMOTE_ADDR, not listed, hence N - 1. Not strict: a client may prepend its own entries.
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return address or remote_addr


# Why the sign-in page is asked for (a link followed while signed out): an untranslated message
# and its values, shown in the reader's language only on the way to the page it names.
_SIGN_IN_REASON = "hwb_sign_in_reason"


def sign_in_reason_set(request: HttpRequest, *, next_url: str, message: str, **values) -> None:
    """Remember why someone is sent to sign in: ``message`` marked with gettext_noop,
    ``%(name)s``-style ``values``."""
    request.session[_SIGN_IN_REASON] = {"next": next_url, "message": message, "values": values}


def sign_in_reason(request: HttpRequest, *, next_url: str) -> str:
    """The reason, translated, if it was given for this ``next_url``; otherwise nothing."""
    reason = request.session.get(_SIGN_IN_REASON)
    if not isinstance(reason, dict) or reason.get("next") != next_url or not next_url:
        return ""
    try:
        return gettext(reason["message"]) % reason["values"]
    except (KeyError, TypeError, ValueError):
        return ""


def sign_in_reason_clear(request: HttpRequest) -> None:
    request.session.pop(_SIGN_IN_REASON, None)
