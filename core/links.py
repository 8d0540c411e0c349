"""Links in emails: signed, salted per purpose, expiring and single use; and the step that keeps a
followed link's token in the session and sends the browser to a clean URL (so the token never
stays in the address bar, the history or a Referer header).

A link carries an object's id and its current nonce. The object owns the nonce: giving it a new
one (or none) spends every link sent before, which is what makes a link single use. Each route
words its own errors; this module only says whether a token is genuine and in date.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class LinkInvalid(Exception):
    """The token is not one we signed for this purpose (tampered, cut short, another purpose)."""


class LinkExpired(LinkInvalid):
    """The token is genuine but older than the purpose allows."""


@dataclass(frozen=True)
class LinkPurpose:
    """What links of one kind are for: their signing salt and where a followed one is kept."""

    salt: str
    session_key: str


@dataclass(frozen=True)
class Link:
    pk: int
    nonce: str


def new_nonce() -> str:
    """A fresh nonce for an object whose earlier links are spent."""
    return secrets.token_urlsafe(16)


def link_token(*, purpose: LinkPurpose, pk: int, nonce: str) -> str:
    return signing.dumps({"r": pk, "n": nonce}, salt=purpose.salt)


def link_read(token: str, *, purpose: LinkPurpose, max_age: timedelta) -> Link:
    """The id and nonce a token carries; LinkExpired or LinkInvalid otherwise."""
    try:
        data = signing.loads(token, salt=purpose.salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not data.get("n"):
        raise LinkInvalid
    return Link(pk=data["r"], nonce=data["n"])


def link_follow(request: HttpRequest, token: str, *, purpose: LinkPurpose, to: str) -> HttpResponse:
    """Keep a checked token in the session and redirect to the clean page ``to``."""
    request.session[purpose.session_key] = token
    return redirect(to)


def link_followed(request: HttpRequest, *, purpose: LinkPurpose) -> str | None:
    """The token of the link this browser followed last for ``purpose``, if any."""
    return request.session.get(purpose.session_key)
