"""Pages that belong to no app: the accessibility statement, error pages, the health check."""

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache

from . import accessibility as statement
from .celery import app as celery_app

logger = logging.getLogger(__name__)

# Programs call these; they read the contract's JSON errors, never an HTML page.
API_PREFIX = "/api/"
# How long a client should wait before sending again when the database cannot store its data.
RETRY_AFTER_SECONDS = 60


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, in the model the 2018 regulations set out."""
    return render(
        request,
        "pages/accessibility.html",
        {
            "journeys": list(statement.TESTED_JOURNEYS.values()),
            "known_issues": statement.KNOWN_ISSUES,
            "prepared_on": statement.PREPARED_ON,
            "reviewed_on": statement.REVIEWED_ON,
            "desk_email": settings.HWB_SERVICE_DESK_EMAIL,
            "desk_phone": settings.HWB_SERVICE_DESK_PHONE,
        },
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from an old page (or another site): explain, in the reader's language."""
    return render(request, "pages/csrf_failure.html", status=403)


def api_error(*, status: int, code: str, message: str) -> JsonResponse:
    """An answer in the API contract's error shape: {"errors": [{"field", "code", "message"}]}."""
    response = JsonResponse({"errors": [{"field": "", "code": code, "message": message}]})
    response.status_code = status
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return api_error(status=400, code="bad_request", message="The request is malformed.")
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Anything the views did not answer: the API still answers in its JSON contract."""
    if not request.path.startswith(API_PREFIX):
        return defaults.server_error(request)
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):  # database unreachable
        return api_error(
            status=503,
            code="unavailable",
            message="The portal's database cannot be reached just now, so nothing was stored. "
            f"Send again after {RETRY_AFTER_SECONDS} seconds.",
        )
    return api_error(
        status=500,
        code="server_error",
        message="The portal could not answer this request. Try again later.",
    )


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


def _broker_answers() -> bool:
    """Whether the Celery broker (Redis) accepts a connection, within two seconds."""
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as error:  # kombu wraps each transport's errors differently
        logger.warning("health check: the broker cannot be reached (%s)", error)
        return False
    return True


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose: 200 while the database and the broker answer, 503 (saying
    which) when either does not. Runs received meanwhile wait in the database for the broker."""
    checks = {"database": _database_answers(), "broker": _broker_answers()}
    return JsonResponse(
        {name: "ok" if ok else "unavailable" for name, ok in checks.items()},
        status=200 if all(checks.values()) else 503,
    )
