"""Pages that belong to no app: the accessibility statement and the error pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")
