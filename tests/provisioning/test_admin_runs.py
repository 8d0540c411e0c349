"""The Hwb team decides held snapshots, issues client tokens and reads MIS records in the admin."""

import hashlib
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry, User
from provisioning.credentials import client_token_issue, client_token_verify
from provisioning.models import ClientToken, MisLearner, ProvisioningRun
from provisioning.services.runs import snapshot_import
from tests.factories import make_account, make_upn

Status = ProvisioningRun.Status
TOKEN = re.compile(r"hwbpc_[A-Za-z0-9_-]+")


@pytest.fixture
def hwb_team(db):
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


@pytest.fixture
def admin_client(client, hwb_team):
    client.force_login(hwb_team)
    return client


def _learner(school, number: int, **fields) -> dict:
    return {
        "upn": fields.pop("upn", None) or make_upn(school.dfes_number),
        "forename": f"Learner{chr(ord('A') + number)}",
        "surname": "Evans",
        "preferred_forename": None,
        "date_of_birth": "2015-04-17",
        "year_group": "5",
        "admission_date": "2021-09-01",
        "leaving_date": None,
        **fields,
    }


def _snapshot(school, learners, *, day: int) -> dict:
    return {
        "school": school.dfes_number,
        "mis": "SIMS",
        "client_version": "4.2.0",
        "extracted_at": f"2025-09-{day:02d}T06:30:00Z",
        "learners": learners,
        "staff": [],
    }


@pytest.fixture
def roll(school):
    """Ten learners on roll from a first, applied snapshot."""
    learners = [_learner(school, n) for n in range(10)]
    run = snapshot_import(school=school, snapshot=_snapshot(school, learners, day=1))
    assert run.status == Status.SUCCEEDED
    return learners


@pytest.fixture
def held_run(school, roll):
    """A snapshot that silently drops half the school and adds two newcomers: held."""
    newcomers = [_learner(school, 20), _learner(school, 21)]
    run = snapshot_import(school=school, snapshot=_snapshot(school, roll[:5] + newcomers, day=2))
    assert run.status == Status.HELD
    return run


@pytest.fixture
def empty_held_run(school):
    run = snapshot_import(school=school, snapshot=_snapshot(school, [], day=3))
    assert run.status == Status.HELD
    return run


def _act(client, action: str, runs, **kwargs):
    return client.post(
        reverse("admin:provisioning_provisioningrun_changelist"),
        {"action": action, "_selected_action": [run.pk for run in runs]},
        **kwargs,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _active_learners(school) -> set[str]:
    return set(
        User.objects.filter(school=school, kind=User.Kind.LEARNER, is_active=True).values_list(
            "first_name", flat=True
        )
    )


# --- Held runs --------------------------------------------------------------------------------


def test_the_run_list_shows_status_and_counts(admin_client, school, roll, held_run):
    response = admin_client.get(reverse("admin:provisioning_provisioningrun_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "10 received, 10 created" in body
    assert "Held for review" in body


def test_a_held_run_shows_why_it_was_held(admin_client, held_run):
    response = admin_client.get(
        reverse("admin:provisioning_provisioningrun_change", args=[held_run.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert held_run.failure_reason and held_run.failure_reason[:40] in body
    assert "Apply held snapshot" in body and "Discard held snapshot" in body


def test_a_held_run_is_reported_to_the_champion_and_the_hwb_team(
    settings, school, champion, roll, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = snapshot_import(school=school, snapshot=_snapshot(school, [], day=3))
    assert run.status == Status.HELD
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [champion.email, settings.HWB_TEAM_EMAIL]
    )
    for message in mail.outbox:
        assert "was held for review" in message.body
        assert "Nothing has been applied." in message.body


def test_a_runs_page_lists_its_record_errors_with_the_learners_name(admin_client, school):
    learners = [_learner(school, 0), _learner(school, 1, upn="A801200005001")]
    run = snapshot_import(school=school, snapshot=_snapshot(school, learners, day=1))
    response = admin_client.get(reverse("admin:provisioning_provisioningrun_change", args=[run.pk]))
    body = response.content.decode()
    assert "learners[1] LearnerB Evans A801200005001 — upn: invalid_check_letter." in body
    assert "learners: 1, staff: 0" in body


def test_the_hwb_team_applies_a_held_run(
    admin_client, hwb_team, school, held_run, django_capture_on_commit_callbacks
):
    assert _active_learners(school) == {f"Learner{letter}" for letter in "ABCDEFGHIJ"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(admin_client, "release_held", [held_run])
    assert response.status_code == 302
    assert _messages(response) == [f"Run {held_run.pk} was released: a worker is applying it now."]
    held_run.refresh_from_db()
    assert held_run.status == Status.SUCCEEDED
    assert held_run.decided_by == hwb_team
    assert held_run.counts["learners"]["created"] == 2
    assert held_run.counts["learners"]["left"] == 5
    assert _active_learners(school) == {f"Learner{letter}" for letter in "ABCDEUV"}
    assert AuditEntry.objects.filter(
        action="provisioning.run_released", actor=hwb_team, target_id=str(held_run.pk)
    ).exists()


def test_the_hwb_team_discards_a_held_run_and_nothing_is_applied(
    admin_client, hwb_team, school, held_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(admin_client, "discard_held", [held_run])
    assert _messages(response) == [f"Run {held_run.pk} was discarded: nothing in it was applied."]
    held_run.refresh_from_db()
    assert held_run.status == Status.DISCARDED
    assert held_run.decided_by == hwb_team
    assert _active_learners(school) == {f"Learner{letter}" for letter in "ABCDEFGHIJ"}
    assert MisLearner.objects.filter(school=school, absent=False).count() == 10


def test_a_run_that_is_not_held_is_left_alone_with_a_message(
    admin_client, school, roll, held_run, django_capture_on_commit_callbacks
):
    applied = ProvisioningRun.objects.get(school=school, status=Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(admin_client, "discard_held", [applied])
    assert _messages(response) == [
        f"Run {applied.pk} is not held for review (it is succeeded): nothing was done."
    ]
    applied.refresh_from_db()
    assert applied.status == Status.SUCCEEDED
    assert applied.decided_at is None
    held_run.refresh_from_db()
    assert held_run.status == Status.HELD


def test_the_buttons_on_a_held_runs_page_apply_it(
    admin_client, empty_held_run, django_capture_on_commit_callbacks
):
    url = reverse("admin:provisioning_provisioningrun_release", args=[empty_held_run.pk])
    assert admin_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    assert response.url == reverse(
        "admin:provisioning_provisioningrun_change", args=[empty_held_run.pk]
    )
    empty_held_run.refresh_from_db()
    assert empty_held_run.status == Status.SUCCEEDED


def test_the_discard_button_discards(admin_client, empty_held_run):
    admin_client.post(
        reverse("admin:provisioning_provisioningrun_discard", args=[empty_held_run.pk])
    )
    empty_held_run.refresh_from_db()
    assert empty_held_run.status == Status.DISCARDED
    page = admin_client.get(
        reverse("admin:provisioning_provisioningrun_change", args=[empty_held_run.pk])
    )
    assert "Apply held snapshot" not in page.content.decode()
    assert "Discarded by hwbadmin" in page.content.decode()


def test_runs_cannot_be_edited_added_or_deleted(admin_client, held_run):
    assert admin_client.get(reverse("admin:provisioning_provisioningrun_add")).status_code == 403
    delete = admin_client.post(
        reverse("admin:provisioning_provisioningrun_delete", args=[held_run.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    admin_client.post(
        reverse("admin:provisioning_provisioningrun_change", args=[held_run.pk]),
        {"status": "succeeded"},
    )
    held_run.refresh_from_db()
    assert held_run.status == Status.HELD


def test_runs_are_found_by_dfes_number(admin_client, school, other_school, empty_held_run):
    snapshot_import(
        school=other_school,
        snapshot=_snapshot(other_school, [_learner(other_school, 1)], day=1),
    )
    response = admin_client.get(
        reverse("admin:provisioning_provisioningrun_changelist"), {"q": school.dfes_number}
    )
    assert list(response.context["cl"].result_list) == [empty_held_run]


# --- Client tokens ----------------------------------------------------------------------------


def test_issuing_a_token_shows_it_once_and_stores_only_its_hash(admin_client, school):
    response = admin_client.post(
        reverse("admin:schools_school_changelist"),
        {"action": "school_client_token_issue", "_selected_action": [school.pk]},
        follow=True,
    )
    body = response.content.decode()
    tokens = TOKEN.findall(body)
    assert len(tokens) == 1
    secret = tokens[0]
    assert "shown only once" in body
    stored = ClientToken.objects.get(school=school)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.prefix, stored.token_hash}
    assert client_token_verify(secret) == stored

    again = admin_client.get(reverse("admin:schools_school_changelist"))
    assert secret not in again.content.decode()
    token_page = admin_client.get(
        reverse("admin:provisioning_clienttoken_change", args=[stored.pk])
    )
    assert secret not in token_page.content.decode()


def test_a_new_token_revokes_the_old_one(admin_client, school):
    _old, old_secret = client_token_issue(school=school, actor=None)
    admin_client.post(
        reverse("admin:schools_school_changelist"),
        {"action": "school_client_token_issue", "_selected_action": [school.pk]},
    )
    assert client_token_verify(old_secret) is None
    assert ClientToken.objects.filter(school=school, revoked_at__isnull=True).count() == 1


def test_tokens_are_issued_one_school_at_a_time(admin_client, school, other_school):
    response = admin_client.post(
        reverse("admin:schools_school_changelist"),
        {"action": "school_client_token_issue", "_selected_action": [school.pk, other_school.pk]},
    )
    assert _messages(response) == [
        "Choose one school at a time: each token is shown once and goes to one school."
    ]
    assert not ClientToken.objects.exists()


def test_the_hwb_team_revokes_a_token(admin_client, hwb_team, school):
    token, secret = client_token_issue(school=school, actor=None)
    admin_client.post(
        reverse("admin:provisioning_clienttoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert client_token_verify(secret) is None
    assert AuditEntry.objects.filter(
        action="provisioning.client_token_revoked", actor=hwb_team
    ).exists()


# --- MIS records ------------------------------------------------------------------------------


def test_mis_learners_are_found_by_upn_through_the_hash(admin_client, school, roll):
    url = reverse("admin:provisioning_mislearner_changelist")
    response = admin_client.get(url, {"q": roll[3]["upn"]})
    assert [record.forename for record in response.context["cl"].result_list] == ["LearnerD"]
    by_name = admin_client.get(url, {"q": "LearnerH"})
    assert [record.forename for record in by_name.context["cl"].result_list] == ["LearnerH"]


@pytest.mark.parametrize(
    "model",
    [
        "provisioning.provisioningrun",
        "provisioning.clienttoken",
        "provisioning.mislearner",
        "provisioning.misstaff",
        "accounts.accountmove",
        "accounts.outboundemail",
    ],
)
def test_each_changelist_opens(admin_client, roll, model):
    app_label, model_name = model.split(".")
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


# --- Who may ----------------------------------------------------------------------------------


def test_school_staff_cannot_reach_the_provisioning_admin(
    client, school, empty_held_run, django_capture_on_commit_callbacks
):
    champion = make_account(school=school, first_name="Dafydd", last_name="Prys")
    client.force_login(champion)
    for url in (
        reverse("admin:provisioning_provisioningrun_changelist"),
        reverse("admin:provisioning_provisioningrun_change", args=[empty_held_run.pk]),
        reverse("admin:provisioning_clienttoken_changelist"),
        reverse("admin:provisioning_mislearner_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response.url
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:provisioning_provisioningrun_release", args=[empty_held_run.pk]))
        _act(client, "release_held", [empty_held_run])
        client.post(
            reverse("admin:schools_school_changelist"),
            {"action": "school_client_token_issue", "_selected_action": [school.pk]},
        )
    empty_held_run.refresh_from_db()
    assert empty_held_run.status == Status.HELD
    assert not ClientToken.objects.exists()
