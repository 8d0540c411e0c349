"""Sign-in by Hwb username, case-insensitively, and the username django-axes counts failures by."""

from django.contrib.auth.backends import ModelBackend


class UsernameBackend(ModelBackend):
    """Django's ModelBackend; the manager's natural key already ignores case."""


def axes_username(request, credentials) -> str:
    """Count failures per lower-cased username, so 'BloggsJ' and 'bloggsj' share a lock-out."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()[:64]
