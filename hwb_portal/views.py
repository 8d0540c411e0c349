"""Pages that belong to no app: the accessibility statement and the error pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from an old page (or another site): explain, in the reader's language."""
    return render(request, "pages/csrf_failure.html", status=403)
