"""A one-time password on its way from the reset (a POST) to the page that shows it (a GET).

It waits in the server-side session of whoever reset it, never in a URL or a cookie, and is
removed the moment it is shown, so a refresh or a second visit cannot show it again. One left
unshown (the browser closed before the redirect) is dropped after a few minutes.
"""

from django.http import HttpRequest
from django.utils import timezone

from .models import User

SESSION_KEY = "hwb_one_time_passwords"
MAX_WAIT_SECONDS = 10 * 60


def _fresh(kept: dict, now: float) -> bool:
    return isinstance(kept, dict) and 0 <= now - kept.get("at", 0) < MAX_WAIT_SECONDS


def one_time_password_keep(request: HttpRequest, *, account: User, password: str) -> None:
    """Keep the password for the next page of this session, for this account only."""
    now = timezone.now().timestamp()
    pending = {
        pk: kept
        for pk, kept in (request.session.get(SESSION_KEY) or {}).items()
        if _fresh(kept, now)
    }
    pending[str(account.pk)] = {"password": password, "at": now}
    request.session[SESSION_KEY] = pending


def one_time_password_take(request: HttpRequest, *, account: User) -> str | None:
    """The account's waiting password, removed from the session as it is read; None if gone."""
    pending = dict(request.session.get(SESSION_KEY) or {})
    kept = pending.pop(str(account.pk), None)
    if kept is None:
        return None
    if pending:
        request.session[SESSION_KEY] = pending
    else:
        del request.session[SESSION_KEY]
    return kept["password"] if _fresh(kept, timezone.now().timestamp()) else None


SHEET_KEY = "hwb_credentials_sheet"


def credentials_keep(request: HttpRequest, cards: list[dict]) -> None:
    """A bulk reset's credentials, for the sheet page that shows them once."""
    request.session[SHEET_KEY] = {"cards": cards, "at": timezone.now().timestamp()}


def credentials_take(request: HttpRequest) -> list[dict] | None:
    """The waiting credentials, removed as they are read; None if shown already (or too old)."""
    kept = request.session.pop(SHEET_KEY, None)
    if not _fresh(kept, timezone.now().timestamp()):
        return None
    return kept.get("cards")


DOWNLOAD_KEY = "hwb_credentials_download"


def credentials_keep_for_download(request: HttpRequest, cards: list[dict]) -> None:
    """The credentials the sheet just showed, for one CSV download within a few minutes (the
    person must first acknowledge what the file holds)."""
    request.session[DOWNLOAD_KEY] = {"cards": cards, "at": timezone.now().timestamp()}


def credentials_for_download(request: HttpRequest, *, take: bool) -> list[dict] | None:
    """The credentials waiting for their download, removed when ``take``; None if gone."""
    kept = request.session.pop(DOWNLOAD_KEY, None) if take else request.session.get(DOWNLOAD_KEY)
    if not _fresh(kept, timezone.now().timestamp()):
        request.session.pop(DOWNLOAD_KEY, None)
        return None
    return kept.get("cards")
