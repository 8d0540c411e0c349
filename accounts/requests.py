"""What the services need to know about a web request: who and from where."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the server saw it (a proxy in front must set REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None
