"""The Provisioning Client API answers exactly as docs/provisioning-api.md says."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.staticfiles import finders
from django.test import AsyncClient, Client
from django.test.client import FakePayload

from accounts.models import User
from provisioning.credentials import client_token_issue, client_token_revoke
from provisioning.models import MisLearner, MisStaff, ProvisioningRun
from provisioning.snapshots import STAFF_ROLES, YEAR_GROUPS
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority
from tests.factories import SchoolFactory, make_upn

from .builders import learner_record, snapshot, staff_record

API = "/api/provisioning/v1"


@pytest.fixture
def secret(school) -> str:
    """School A's client token."""
    return client_token_issue(school=school, actor=None)[1]


@pytest.fixture
def other_secret(other_school) -> str:
    return client_token_issue(school=other_school, actor=None)[1]


def send(client: Client, secret: str | None, body, *, query: str = "", **kwargs):
    if isinstance(body, dict):
        body = json.dumps(body)
    kwargs.setdefault("content_type", "application/json")
    headers = {"authorization": f"Bearer {secret}"} if secret else {}
    return client.generic("POST", f"{API}/snapshots/{query}", body, headers=headers, **kwargs)


def get(client: Client, secret: str | None, path: str):
    headers = {"authorization": f"Bearer {secret}"} if secret else {}
    return client.get(path, headers=headers)


def rows_written() -> tuple[int, int, int, int]:
    return (
        ProvisioningRun.objects.count(),
        User.objects.count(),
        MisLearner.objects.count(),
        MisStaff.objects.count(),
    )


def assert_errors_shape(response) -> list[dict]:
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert errors
    for error in errors:
        assert set(error) == {"field", "code", "message"}
        assert isinstance(error["message"], str) and error["message"]
    return errors


# --- 202 -----------------------------------------------------------------------------------------


def test_an_accepted_snapshot_gets_a_run_that_reports_the_usernames(
    client, school, secret, django_capture_on_commit_callbacks
):
    learner = learner_record(forename="Siân", surname="Jones")
    head = staff_record("GEL", forename="Gwenllian", surname="Ellis", is_headteacher=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, secret, snapshot(school, learners=[learner], staff=[head]))

    assert response.status_code == 202
    run = ProvisioningRun.objects.get()
    assert response.json() == {
        "run": run.pk,
        "status": "queued",
        "status_url": f"{API}/runs/{run.pk}/",
    }
    assert response["Location"] == f"{API}/runs/{run.pk}/"

    shown = get(client, secret, response.json()["status_url"]).json()
    learner_account = User.objects.get(kind=User.Kind.LEARNER, school=school)
    assert shown["run"] == run.pk
    assert shown["school"] == school.dfes_number
    assert shown["status"] == "succeeded"
    assert shown["dry_run"] is False
    assert shown["counts"]["learners"] == {
        "received": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "left": 0,
        "moved_in": 0,
        "awaiting_leaver": 0,
        "rejected": 0,
    }
    assert shown["counts"]["staff"]["created"] == 1
    assert shown["accounts"]["learners"] == {learner["upn"]: learner_account.username}
    assert shown["accounts"]["staff"] == {"GEL": User.objects.get(last_name="Ellis").username}
    assert shown["errors"] == [] and shown["warnings"] == []
    assert shown["reason"] is None
    assert shown["received_at"].endswith("Z") and shown["finished_at"].endswith("Z")


def test_a_bad_record_is_listed_in_the_run_and_the_rest_are_applied(
    client, school, secret, django_capture_on_commit_callbacks
):
    good = learner_record()
    upn = make_upn()
    wrong_check_letter = next(letter for letter in "ABC" if letter != upn[0])
    bad = learner_record(upn=wrong_check_letter + upn[1:])

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, secret, snapshot(school, learners=[bad, good]))

    shown = get(client, secret, response.json()["status_url"]).json()
    assert shown["status"] == "succeeded"
    assert shown["errors"] == [
        {
            "record": "learners[0]",
            "key": bad["upn"],
            "field": "upn",
            "code": "invalid_check_letter",
            "message": shown["errors"][0]["message"],
        }
    ]
    assert list(shown["accounts"]["learners"]) == [good["upn"]]
    assert shown["counts"]["learners"]["rejected"] == 1
    assert MisLearner.objects.filter(school=school).count() == 1


@pytest.fixture
def committed_school(transactional_db):
    """A school committed to the database, so the answer can see the work done on commit."""
    # A transactional test's flush removes the authorities the data migration made.
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )
    return SchoolFactory(dfes_number="6612001")


def test_where_celery_runs_eagerly_the_answer_gives_the_runs_status_as_it_now_is(
    client, committed_school
):
    secret = client_token_issue(school=committed_school, actor=None)[1]

    response = send(client, secret, snapshot(committed_school, learners=[learner_record()]))

    assert response.status_code == 202
    assert response.json()["status"] == "succeeded"
    assert ProvisioningRun.objects.get().status == "succeeded"


def test_a_dry_run_reports_what_it_would_change_and_changes_nothing(
    client, school, secret, django_capture_on_commit_callbacks
):
    before = rows_written()

    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            secret,
            snapshot(school, learners=[learner_record()], staff=[staff_record()]),
            query="?dry_run=1",
        )

    assert response.status_code == 202
    shown = get(client, secret, response.json()["status_url"]).json()
    assert shown["dry_run"] is True
    assert shown["status"] == "succeeded"
    assert shown["counts"]["learners"]["created"] == 1
    assert shown["counts"]["staff"]["created"] == 1
    runs, *people = rows_written()
    assert (runs, *people) == (before[0] + 1, *before[1:])


def test_a_held_run_says_why(client, school, secret, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, secret, snapshot(school, learners=[], staff=[]))

    shown = get(client, secret, response.json()["status_url"]).json()
    assert shown["status"] == "held"
    assert shown["reason"] == ProvisioningRun.objects.get().failure_reason != ""
    assert shown["finished_at"] is None


def test_a_dry_run_flag_other_than_yes_or_no_is_refused(client, school, secret):
    response = send(client, secret, snapshot(school), query="?dry_run=perhaps")

    assert response.status_code == 400
    assert assert_errors_shape(response)[0]["field"] == "dry_run"
    assert not ProvisioningRun.objects.exists()


def test_the_api_needs_no_csrf_token_and_sets_no_cookie(school, secret):
    strict = Client(enforce_csrf_checks=True)

    response = send(strict, secret, snapshot(school))

    assert response.status_code == 202
    assert not response.cookies


def test_answers_are_json_whatever_the_client_accepts(client, school, secret):
    response = client.get(
        f"{API}/runs/", headers={"authorization": f"Bearer {secret}", "accept": "text/html"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


# --- 400, 415 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"not json", b"{", b'{"school": "6612001",}', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_refused_and_nothing_is_written(client, school, secret, body):
    before = rows_written()

    response = send(client, secret, body)

    assert response.status_code == 400
    assert assert_errors_shape(response)[0]["code"] == "invalid_json"
    assert rows_written() == before


def test_a_wrong_envelope_is_refused_field_by_field(client, school, secret):
    body = snapshot(school)
    del body["school"]
    body["learners"] = {"not": "a list"}
    body["extracted_at"] = "yesterday"
    before = rows_written()

    response = send(client, secret, body)

    assert response.status_code == 400
    fields = {error["field"]: error["code"] for error in assert_errors_shape(response)}
    assert fields == {"school": "required", "learners": "invalid_type", "extracted_at": "invalid"}
    assert rows_written() == before


def test_a_snapshot_from_more_than_a_few_minutes_ahead_is_refused_and_blocks_nothing(
    client, school, secret, django_capture_on_commit_callbacks
):
    """A client whose clock runs half an hour fast is told so; its school's next snapshot,
    from a right clock, is still taken (a future extracted_at would have made it stale)."""
    ahead = snapshot(school, extracted_at=datetime.now(UTC) + timedelta(minutes=30))
    before = rows_written()

    response = send(client, secret, ahead)

    assert response.status_code == 400
    error = assert_errors_shape(response)[0]
    assert (error["field"], error["code"]) == ("extracted_at", "in_future")
    assert "clock" in error["message"]
    assert rows_written() == before
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, secret, snapshot(school, learners=[learner_record()]))
    assert response.status_code == 202
    assert ProvisioningRun.objects.get().status == "succeeded"


def test_a_clock_a_minute_or_two_fast_is_allowed(client, school, secret):
    response = send(
        client, secret, snapshot(school, extracted_at=datetime.now(UTC) + timedelta(minutes=2))
    )

    assert response.status_code == 202


def test_a_snapshot_that_is_a_json_list_is_refused(client, school, secret):
    response = send(client, secret, "[]")

    assert response.status_code == 400
    assert assert_errors_shape(response)[0]["code"] == "invalid_type"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_snapshot_not_sent_as_json_is_refused_with_415(client, school, secret, content_type):
    response = send(client, secret, snapshot(school), content_type=content_type)

    assert response.status_code == 415
    assert assert_errors_shape(response)[0]["code"] == "unsupported_media_type"
    assert not ProvisioningRun.objects.exists()


def test_json_with_a_charset_is_json(client, school, secret):
    response = send(
        client, secret, snapshot(school), content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 202


# --- 401 -----------------------------------------------------------------------------------------


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_errors_shape(response)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer hwbpc_unknown",
        "Bearer two words",
        "Basic dXNlcjpwYXNz",
        "Token hwbpc_unknown",
    ],
)
def test_a_call_without_a_live_token_is_401_everywhere(client, school, secret, authorization):
    headers = {"authorization": authorization} if authorization else {}
    body = json.dumps(snapshot(school))
    run = ProvisioningRun.objects.create(school=school, extracted_at=datetime.now(UTC))

    assert_unauthenticated(
        client.post(f"{API}/snapshots/", body, content_type="application/json", headers=headers)
    )
    assert_unauthenticated(client.get(f"{API}/runs/", headers=headers))
    assert_unauthenticated(client.get(f"{API}/runs/{run.pk}/", headers=headers))
    assert ProvisioningRun.objects.count() == 1


def test_a_revoked_token_is_401(client, school, secret):
    client_token_revoke(token=school.client_tokens.get(), actor=None)

    assert_unauthenticated(send(client, secret, snapshot(school)))
    assert not ProvisioningRun.objects.exists()


def test_a_replaced_token_is_401_and_the_new_one_works(client, school, secret):
    new_secret = client_token_issue(school=school, actor=None)[1]

    assert_unauthenticated(send(client, secret, snapshot(school)))
    assert send(client, new_secret, snapshot(school)).status_code == 202


# --- 403 -----------------------------------------------------------------------------------------


def test_a_client_cannot_send_another_schools_snapshot(client, school, other_school, secret):
    response = send(client, secret, snapshot(other_school, learners=[learner_record()]))

    assert response.status_code == 403
    assert assert_errors_shape(response)[0]["field"] == "school"
    assert not ProvisioningRun.objects.exists()


def test_a_snapshot_for_a_school_the_portal_does_not_know_is_403(client, school, secret):
    body = {**snapshot(school), "school": "6619999"}

    response = send(client, secret, body)

    assert response.status_code == 403
    assert not ProvisioningRun.objects.exists()


def test_a_malformed_school_is_an_envelope_error_not_a_403(client, school, secret):
    response = send(client, secret, {**snapshot(school), "school": "66120"})

    assert response.status_code == 400
    assert assert_errors_shape(response)[0]["field"] == "school"


def test_a_client_cannot_read_another_schools_run(
    client, school, secret, other_school, other_secret
):
    theirs = send(client, other_secret, snapshot(other_school)).json()

    response = get(client, secret, theirs["status_url"])

    assert response.status_code == 403
    assert assert_errors_shape(response)[0]["code"] == "other_school"
    assert get(client, other_secret, theirs["status_url"]).status_code == 200


# --- 404 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/runs/999999/",
        f"{API}/runs/99999999999999999999999/",
        f"{API}/runs/abc/",
        f"{API}/no-such-thing/",
    ],
)
def test_an_unknown_run_or_address_is_a_json_404(client, school, secret, path):
    response = get(client, secret, path)

    assert response.status_code == 404
    assert assert_errors_shape(response)[0]["code"] == "not_found"


# --- 409 -----------------------------------------------------------------------------------------


def test_a_snapshot_older_than_the_last_applied_one_is_409(
    client, school, secret, django_capture_on_commit_callbacks
):
    applied_at = datetime.now(UTC) - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, secret, snapshot(school, learners=[learner_record()], extracted_at=applied_at))
    before = rows_written()

    response = send(
        client,
        secret,
        snapshot(school, learners=[learner_record()], extracted_at=applied_at - timedelta(days=1)),
    )

    assert response.status_code == 409
    error = assert_errors_shape(response)[0]
    assert (error["field"], error["code"]) == ("extracted_at", "stale")
    assert rows_written() == before


# --- 413 -----------------------------------------------------------------------------------------


def test_a_body_declared_over_the_limit_is_refused_unread(client, school, secret, settings):
    response = send(
        client,
        secret,
        snapshot(school),
        CONTENT_LENGTH=str(settings.HWB_SNAPSHOT_MAX_BYTES + 1),
    )

    assert response.status_code == 413
    assert assert_errors_shape(response)[0]["code"] == "too_large"
    assert not ProvisioningRun.objects.exists()


def test_a_body_over_the_limit_is_refused(client, school, secret, settings):
    settings.HWB_SNAPSHOT_MAX_BYTES = 2_000
    body = json.dumps(snapshot(school, learners=[learner_record() for _ in range(20)]))
    assert len(body) > 2_000

    response = send(client, secret, body)

    assert response.status_code == 413
    assert not ProvisioningRun.objects.exists()


def _send_without_content_length(secret: str, body: bytes):
    """As a client streaming its body (chunked, or HTTP/2) does: no Content-Length at all."""
    return async_to_sync(AsyncClient().request)(
        method="POST",
        path=f"{API}/snapshots/",
        headers=[
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {secret}".encode()),
        ],
        _body_file=FakePayload(body),
    )


def test_a_body_without_a_content_length_is_read_only_up_to_the_limit(school, secret, settings):
    settings.HWB_SNAPSHOT_MAX_BYTES = 2_000
    small = json.dumps(snapshot(school)).encode()
    large = json.dumps(snapshot(school, learners=[learner_record() for _ in range(20)])).encode()

    refused = _send_without_content_length(secret, large)
    accepted = _send_without_content_length(secret, small)

    assert refused.status_code == 413
    assert json.loads(refused.content)["errors"][0]["code"] == "too_large"
    assert accepted.status_code == 202
    assert ProvisioningRun.objects.count() == 1


def test_a_snapshot_larger_than_djangos_upload_limit_but_within_ours_is_accepted(
    client, school, secret, settings
):
    padding = b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = send(client, secret, json.dumps(snapshot(school)).encode() + padding)

    assert response.status_code == 202


# --- The runs list -------------------------------------------------------------------------------


def test_the_runs_list_shows_the_schools_recent_runs_newest_first(
    client, school, secret, other_school, other_secret
):
    start = datetime.now(UTC) - timedelta(hours=5)
    ids = [
        send(client, secret, snapshot(school, extracted_at=start + timedelta(hours=n))).json()[
            "run"
        ]
        for n in range(3)
    ]
    send(client, other_secret, snapshot(other_school))

    listed = get(client, secret, f"{API}/runs/").json()["runs"]
    assert [run["run"] for run in listed] == ids[::-1]
    assert {run["school"] for run in listed} == {school.dfes_number}
    assert set(listed[0]) == {
        "run",
        "school",
        "status",
        "dry_run",
        "received_at",
        "finished_at",
        "counts",
        "errors",
        "warnings",
        "accounts",
        "reason",
    }

    limited = get(client, secret, f"{API}/runs/?limit=2").json()["runs"]
    assert [run["run"] for run in limited] == ids[:0:-1]


def test_answers_holding_raw_upns_are_never_stored_by_a_cache(
    client, school, secret, django_capture_on_commit_callbacks
):
    upn = make_upn()
    with django_capture_on_commit_callbacks(execute=True):
        run_id = send(client, secret, snapshot(school, learners=[learner_record(upn)])).json()[
            "run"
        ]

    for path in (f"{API}/runs/{run_id}/", f"{API}/runs/"):
        response = get(client, secret, path)
        assert upn in response.content.decode()
        assert "no-store" in response["Cache-Control"]


def test_the_runs_list_shows_twenty_unless_asked(client, school, secret):
    for _ in range(21):
        ProvisioningRun.objects.create(school=school, extracted_at=datetime.now(UTC))

    assert len(get(client, secret, f"{API}/runs/").json()["runs"]) == 20
    assert len(get(client, secret, f"{API}/runs/?limit=100").json()["runs"]) == 21


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", "", "²"])
def test_a_limit_outside_1_to_100_is_refused(client, school, secret, limit):
    response = get(client, secret, f"{API}/runs/?limit={limit}")

    assert response.status_code == 400
    assert assert_errors_shape(response)[0]["field"] == "limit"


# --- The schema and its page ---------------------------------------------------------------------


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_documents_every_path_and_answer_of_the_contract(schema):
    from drf_spectacular.validation import validate_schema

    validate_schema(schema)
    paths = schema["paths"]
    send_answers = paths[f"{API}/snapshots/"]["post"]["responses"]
    assert {"202", "400", "401", "403", "409", "413"} <= set(send_answers)
    assert {"200", "401", "403", "404"} <= set(paths[f"{API}/runs/{{run_id}}/"]["get"]["responses"])
    assert {"200", "400", "401"} <= set(paths[f"{API}/runs/"]["get"]["responses"])
    assert schema["components"]["securitySchemes"]["ClientToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["ClientToken"]["description"],
    }


def test_the_schema_describes_every_field_of_the_snapshot(schema):
    components = schema["components"]["schemas"]
    body = schema["paths"][f"{API}/snapshots/"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/Snapshot")
    assert body["required"] is True

    assert set(components["Snapshot"]["properties"]) == {
        "school",
        "mis",
        "client_version",
        "extracted_at",
        "learners",
        "staff",
    }
    assert set(components["LearnerRecord"]["properties"]) == {
        "upn",
        "forename",
        "surname",
        "preferred_forename",
        "date_of_birth",
        "year_group",
        "admission_date",
        "leaving_date",
        # version 1.1
        "registration_group",
        "classes",
        "previous_upn",
    }
    assert set(components["StaffRecord"]["properties"]) == {
        "staff_code",
        "title",
        "forename",
        "surname",
        "date_of_birth",
        "work_email",
        "role",
        "is_headteacher",
        "start_date",
        "leaving_date",
        "registration_group",  # version 1.1
    }
    assert set(components["YearGroupEnum"]["enum"]) == YEAR_GROUPS
    assert set(components["RoleEnum"]["enum"]) == STAFF_ROLES
    assert set(components["LearnerCounts"]["properties"]) == {
        "received",
        "created",
        "updated",
        "unchanged",
        "left",
        "moved_in",
        "awaiting_leaver",
        "rejected",
    }
    assert set(components["StatusEnum"]["enum"]) == set(ProvisioningRun.Status.values)


def test_the_schema_page_loads_its_scripts_from_the_portal_itself(client, db):
    page = client.get("/api/schema/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    policy = page["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "<script>" not in html  # no inline script: the CSP would block it
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        path = f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"
        assert f"/static/{path}" in html
        assert finders.find(path)
    script = client.get("/api/schema/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
