"""Pages that belong to no app: the accessibility statement, error pages, the health check."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from an old page (or another site): explain, in the reader's language."""
    return render(request, "pages/csrf_failure.html", status=403)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose: 200 while the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})
