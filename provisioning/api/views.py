"""The Provisioning Client API, version 1: snapshots in, runs out (see provisioning-api.md).

Token authentication only: no sessions, no cookies, no CSRF. Every answer, errors included, is
JSON; every error is ``{"errors": [{"field", "code", "message"}]}``.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, UnreadablePostError
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from provisioning.models import ClientToken, ProvisioningRun
from provisioning.selectors import run_for_client, runs_for_client
from provisioning.services import StaleSnapshot
from provisioning.services.runs import run_receive
from provisioning.snapshots import EnvelopeError, snapshot_parse

from .authentication import ClientTokenAuthentication, IsProvisioningClient
from .serializers import (
    ErrorsSerializer,
    RunListSerializer,
    RunSerializer,
    SnapshotAcceptedSerializer,
    SnapshotSerializer,
    run_as_contract,
)

logger = logging.getLogger(__name__)

RUNS_DEFAULT_LIMIT = 20
# How long a client waits before sending again when the database cannot store its snapshot.
RETRY_AFTER_SECONDS = 60
RUNS_MAX_LIMIT = 100
_READ_CHUNK = 64 * 1024


class ContractError(exceptions.APIException):
    """An answer of the contract other than success, with the field at fault (if any)."""

    def __init__(
        self, *, status_code: int, code: str, message, field: str = "", wait: int | None = None
    ):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.field = field
        self.wait = wait  # DRF's handler sends it as Retry-After


def api_exception_handler(exc, context):
    """DRF's handler, answering in the contract's error shape, whatever went wrong: a database
    that cannot be reached is 503 with Retry-After (nothing was stored; send again), anything
    unexpected is a logged 500, never the portal's HTML error page."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError | InterfaceError):  # not reached, or went away
        logger.warning("provisioning API: the database cannot be reached (%r)", exc)
        set_rollback()
        exc = ContractError(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            code="unavailable",
            message=_(
                "The portal's database cannot be reached just now, so nothing was stored. "
                "Send again after %(seconds)d seconds."
            )
            % {"seconds": RETRY_AFTER_SECONDS},
            wait=RETRY_AFTER_SECONDS,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error(
            "provisioning API: %s %s failed",
            context["request"].method,
            context["request"].path,
            exc_info=exc,
        )
        exc = ContractError(
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
            code="server_error",
            message=_("The portal could not answer this request. Try again later."),
        )
        response = drf_exception_handler(exc, context)
    if isinstance(exc, ContractError):
        errors = [{"field": exc.field, "code": exc.code, "message": str(exc.detail)}]
    else:
        errors = _errors_from_detail(exc.detail, exc.get_codes())
    response.data = {"errors": errors}
    return response


def _errors_from_detail(detail, codes, field: str = "") -> list[dict]:
    if isinstance(detail, dict):
        return [
            error
            for name, value in detail.items()
            for error in _errors_from_detail(value, codes.get(name, "invalid"), str(name))
        ]
    if isinstance(detail, list):
        codes = codes if isinstance(codes, list) else [codes] * len(detail)
        return [
            error
            for value, code in zip(detail, codes, strict=False)
            for error in _errors_from_detail(value, code, field)
        ]
    return [{"field": field, "code": str(codes), "message": str(detail)}]


class JsonOnly(BaseContentNegotiation):
    """Clients are programs: answer JSON whatever Accept says, rather than 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ProvisioningApiView(APIView):
    authentication_classes = [ClientTokenAuthentication]
    permission_classes = [IsProvisioningClient]
    parser_classes = [JSONParser]  # for the schema: bodies are read by snapshot_parse
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    throttle_classes = []

    def get_exception_handler(self):
        return api_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Runs hold raw UPNs and usernames: no browser, proxy or client library keeps a copy.
        add_never_cache_headers(response)
        return response


# --- Reads, in the contract's answers ------------------------------------------------------------


def _run(token: ClientToken, run_id: int) -> ProvisioningRun:
    """The run, if it is the token's school's: 404 for no such run, 403 for another school's."""
    try:
        return run_for_client(token=token, run_id=run_id)
    except ProvisioningRun.DoesNotExist:
        raise ContractError(
            status_code=status.HTTP_404_NOT_FOUND,
            code="not_found",
            message=_("There is no run with this number."),
        ) from None
    except DjangoPermissionDenied:
        raise ContractError(
            status_code=status.HTTP_403_FORBIDDEN,
            code="other_school",
            message=_("This run belongs to another school; a client sees only its own."),
        ) from None


# --- Reading the request --------------------------------------------------------------------------


def _dry_run(request) -> bool:
    value = request.query_params.get("dry_run", "").strip().lower()
    if value in {"", "0", "false", "no"}:
        return False
    if value in {"1", "true", "yes"}:
        return True
    raise ContractError(
        status_code=status.HTTP_400_BAD_REQUEST,
        code="invalid",
        field="dry_run",
        message=_("dry_run is 1 (report only) or 0."),
    )


def _too_large() -> ContractError:
    return ContractError(
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        code="too_large",
        message=_("The snapshot is larger than the %(limit)d bytes the portal accepts.")
        % {"limit": settings.HWB_SNAPSHOT_MAX_BYTES},
    )


def _declared_length(request) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def _snapshot_body(request) -> bytes:
    """The body, read from the stream with a cap.

    request.body is not used: Django would refuse anything above DATA_UPLOAD_MAX_MEMORY_SIZE
    with a 400, and a body without a (true) Content-Length must still stop at the limit.
    """
    limit = settings.HWB_SNAPSHOT_MAX_BYTES
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise _too_large()
    # No Content-Type at all (an empty body, a terse client) leaves the body to decide.
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in {"", "application/json"}:
        raise ContractError(
            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            code="unsupported_media_type",
            message=_("Send the snapshot as Content-Type: application/json."),
        )
    chunks, size = [], 0
    try:
        while chunk := request._request.read(min(_READ_CHUNK, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise _too_large()
            chunks.append(chunk)
    except UnreadablePostError:
        raise ContractError(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="unreadable",
            message=_("The body could not be read to the end; send the snapshot again."),
        ) from None
    return b"".join(chunks)


def _runs_limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return RUNS_DEFAULT_LIMIT
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= RUNS_MAX_LIMIT:
        return int(raw)
    raise ContractError(
        status_code=status.HTTP_400_BAD_REQUEST,
        code="invalid",
        field="limit",
        message=_("limit is a whole number from 1 to %(max)d.") % {"max": RUNS_MAX_LIMIT},
    )


# --- Views ----------------------------------------------------------------------------------------

_ERRORS = ErrorsSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(_ERRORS, description=description)


_UNAUTHENTICATED = _error(
    "Missing, unknown or revoked token (the answer carries `WWW-Authenticate: Bearer`)."
)


class SnapshotCreateView(ProvisioningApiView):
    @extend_schema(
        operation_id="snapshot_send",
        summary="Send the school's full MIS snapshot",
        description=(
            "Every learner and every staff member the MIS holds, leavers included. The envelope "
            "is checked at once (400, nothing applied); the records are applied by a worker, a "
            "bad record being rejected on its own. Follow the run at `status_url`."
        ),
        request=SnapshotSerializer,
        parameters=[
            OpenApiParameter(
                "dry_run",
                OpenApiTypes.BOOL,
                OpenApiParameter.QUERY,
                description=(
                    "`1`: report what the snapshot would change (status `succeeded`, "
                    '`"dry_run": true`) and change nothing.'
                ),
            )
        ],
        responses={
            202: OpenApiResponse(SnapshotAcceptedSerializer, description="Accepted: a run."),
            400: _error(
                "The body is not JSON or its envelope is wrong (missing `school`, `learners` "
                "not a list, …). Nothing is applied."
            ),
            401: _UNAUTHENTICATED,
            403: _error("The snapshot's `school` is not the token's school."),
            409: _error("`extracted_at` is older than the school's last applied snapshot."),
            413: _error("The body is larger than the portal accepts (25 MB by default)."),
            415: _error("The body is sent with a Content-Type other than `application/json`."),
            500: _error("The portal failed unexpectedly; nothing more can be said. Try later."),
            503: _error(
                "The portal's database cannot be reached, so nothing was stored: send the "
                "snapshot again after `Retry-After` seconds."
            ),
        },
        examples=[
            OpenApiExample(
                "A primary school's snapshot",
                request_only=True,
                value={
                    "school": "6612345",
                    "mis": "SIMS",
                    "client_version": "4.2.0",
                    "extracted_at": "2026-09-02T06:30:00Z",
                    "learners": [
                        {
                            "upn": "U661234524001",
                            "forename": "Siân",
                            "surname": "Jones",
                            "preferred_forename": None,
                            "date_of_birth": "2015-04-17",
                            "year_group": "6",
                            "admission_date": "2019-09-03",
                            "leaving_date": None,
                        }
                    ],
                    "staff": [
                        {
                            "staff_code": "SJO",
                            "title": "Mrs",
                            "forename": "Sarah",
                            "surname": "Jones",
                            "date_of_birth": "1980-02-11",
                            "work_email": None,
                            "role": "teaching",
                            "is_headteacher": False,
                            "start_date": "2012-09-01",
                            "leaving_date": None,
                        }
                    ],
                },
            )
        ],
        tags=["Provisioning Client"],
    )
    def post(self, request):
        token = request.auth
        dry_run = _dry_run(request)
        body = _snapshot_body(request)
        try:
            snapshot = snapshot_parse(body)
        except EnvelopeError as error:
            return Response({"errors": error.errors}, status=status.HTTP_400_BAD_REQUEST)
        # Checked after the envelope: only then is "school" known to be a DfES number at all.
        if snapshot["school"] != token.school.dfes_number:
            raise ContractError(
                status_code=status.HTTP_403_FORBIDDEN,
                code="other_school",
                field="school",
                message=_(
                    "This client's token is for school %(dfes)s; it cannot send another "
                    "school's snapshot."
                )
                % {"dfes": token.school.dfes_number},
            )
        try:
            run = run_receive(school=token.school, snapshot=snapshot, dry_run=dry_run, source="api")
        except EnvelopeError as error:  # run_receive checks the envelope as well
            return Response({"errors": error.errors}, status=status.HTTP_400_BAD_REQUEST)
        except StaleSnapshot as error:
            raise ContractError(
                status_code=status.HTTP_409_CONFLICT,
                code="stale",
                field="extracted_at",
                message=str(error),
            ) from None
        # Where Celery runs eagerly the run has been applied already: say so. The run is
        # stored whatever happens now, so a database gone since is no reason to answer 503.
        try:
            run.refresh_from_db(fields=["status"])
        except DatabaseError:
            logger.warning("provisioning run %s is stored; its status could not be read", run.pk)
        status_url = reverse("provisioning_api:run_detail", args=[run.pk])
        return Response(
            {"run": run.pk, "status": run.status, "status_url": status_url},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": status_url},
        )


class RunDetailView(ProvisioningApiView):
    @extend_schema(
        operation_id="run_show",
        summary="A run: its status, counts, record errors and warnings, and usernames",
        responses={
            200: RunSerializer,
            401: _UNAUTHENTICATED,
            403: _error("The run is another school's."),
            404: _error("No run has this number."),
        },
        tags=["Provisioning Client"],
    )
    def get(self, request, run_id: int):
        run = _run(request.auth, run_id)
        return Response(run_as_contract(run))


class RunListView(ProvisioningApiView):
    @extend_schema(
        operation_id="runs_list",
        summary="The school's recent runs, newest first",
        parameters=[
            OpenApiParameter(
                "limit",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": RUNS_MAX_LIMIT,
                    "default": RUNS_DEFAULT_LIMIT,
                },
                OpenApiParameter.QUERY,
                description=f"How many runs, 1 to {RUNS_MAX_LIMIT} (default {RUNS_DEFAULT_LIMIT}).",
            )
        ],
        responses={
            200: RunListSerializer,
            400: _error("`limit` is not a whole number from 1 to 100."),
            401: _UNAUTHENTICATED,
        },
        tags=["Provisioning Client"],
    )
    def get(self, request):
        runs = runs_for_client(token=request.auth, limit=_runs_limit(request))
        return Response({"runs": [run_as_contract(run) for run in runs]})


class NotFoundView(ProvisioningApiView):
    """Anything else under the API's prefix: a JSON 404, not the portal's HTML page."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound(_("The Provisioning Client API has no such address."))

    post = put = patch = delete = get
