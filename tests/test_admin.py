"""The Hwb team's Django admin: every model, searchable, and an audit log nobody can edit."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import AuditEntry, User
from tests.factories import make_account


@pytest.fixture
def hwb_team(db):
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


@pytest.fixture
def admin_client(client, hwb_team):
    client.force_login(hwb_team)
    return client


def test_every_model_of_ours_is_in_the_admin():
    ours = {"schools", "accounts", "provisioning", "school_changes", "transfers", "service_desk"}
    from django.apps import apps

    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in ours and model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize(
    "model",
    [
        "schools.school",
        "schools.localauthority",
        "accounts.user",
        "accounts.schoolrole",
        "accounts.auditentry",
        "accounts.retiredusername",
    ],
)
def test_each_changelist_opens(admin_client, school, staff_member, model):
    app_label, model_name = model.split(".")
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


def test_schools_are_found_by_dfes_number(admin_client, school, other_school):
    response = admin_client.get(reverse("admin:schools_school_changelist"), {"q": "6814004"})
    assert list(response.context["cl"].result_list) == [other_school]


def test_accounts_are_found_by_username_and_by_upn(admin_client, school, staff_member):
    learner = make_account(
        school=school, kind="learner", first_name="Elin", last_name="Roberts", upn="Q681200124001"
    )
    url = reverse("admin:accounts_user_changelist")
    by_username = admin_client.get(url, {"q": staff_member.username})
    assert staff_member in by_username.context["cl"].result_list
    by_upn = admin_client.get(url, {"q": "Q681200124001"})
    assert list(by_upn.context["cl"].result_list) == [learner]


def test_the_audit_log_is_read_only(admin_client, staff_member):
    entry = AuditEntry.objects.first()
    assert admin_client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:accounts_auditentry_change", args=[entry.pk]), {"action": "forged"}
    )
    assert change.status_code == 403
    delete = admin_client.post(
        reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "account.created"


def test_school_staff_cannot_enter_the_admin(client, staff_member):
    client.force_login(staff_member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_the_work_queue_lists_what_waits_for_the_hwb_team_with_its_age(admin_client, school):
    from datetime import timedelta

    from django.utils import timezone

    from provisioning.models import ProvisioningRun
    from school_changes.models import SchoolNotice

    now = timezone.now()
    held = ProvisioningRun.objects.create(
        school=school,
        status=ProvisioningRun.Status.HELD,
        extracted_at=now - timedelta(days=3),
        received_at=now - timedelta(days=3),
        failure_reason="The snapshot would close 80 of 100 accounts.",
    )
    ProvisioningRun.objects.create(
        school=school,
        status=ProvisioningRun.Status.FAILED,
        extracted_at=now - timedelta(days=30),
        received_at=now - timedelta(days=30),
        failure_reason="An old failure, long put right.",
    )
    notice = SchoolNotice.objects.create(
        kind=SchoolNotice.Kind.NEW_SCHOOL,
        local_authority=school.local_authority,
        effective_date=now.date() + timedelta(weeks=12),
        new_school_name="Ysgol Newydd",
    )
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert 'href="/admin/work-queue/"' in index
    body = " ".join(admin_client.get("/admin/work-queue/").content.decode().split())
    assert "Provisioning runs held for review (1)" in body
    assert "The snapshot would close 80 of 100 accounts." in body
    assert reverse("admin:provisioning_provisioningrun_change", args=[held.pk]) in body
    assert "3 days" in body
    assert "An old failure" not in body  # failed runs: the last 7 days only
    assert "New notices of school changes (1)" in body
    assert reverse("admin:school_changes_schoolnotice_change", args=[notice.pk]) in body
    assert "Staff matches to approve (0)" in body and "Nothing waiting." in body


def test_the_work_queue_is_for_the_hwb_team_only(client, school):
    staff = make_account(school=school)
    client.force_login(staff)
    response = client.get("/admin/work-queue/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def _our_english_phrases() -> set[str]:
    """Our own catalogue's English phrases of three words or more whose Welsh differs (each a
    phrase a Welsh page must not show in English)."""
    import gettext
    from pathlib import Path

    compiled = Path(__file__).resolve().parents[1] / "locale/cy/LC_MESSAGES/django.mo"
    with compiled.open("rb") as catalogue:
        messages = gettext.GNUTranslations(catalogue)._catalog
    return {
        english
        for english, welsh in messages.items()
        if isinstance(english, str)
        and "%" not in english
        and "{" not in english
        and len(english.split()) >= 3
        and welsh
        and welsh != english
    }


def test_the_admin_in_welsh_shows_none_of_our_text_in_english(admin_client, school, staff_member):
    import html
    import re

    phrases = _our_english_phrases()
    assert len(phrases) > 300  # the catalogue was read

    def text_of(page: str) -> str:
        body = admin_client.get(page).content.decode()
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())

    # In English the same check finds our phrases (so in Welsh it would find any left over).
    assert [phrase for phrase in phrases if phrase in text_of("/admin/work-queue/")]
    admin_client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    pages = [reverse("admin:index"), "/admin/work-queue/"] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label
        in {"schools", "accounts", "provisioning", "school_changes", "transfers", "service_desk"}
    ]
    english = {}
    for page in pages:
        text = text_of(page)
        found = [phrase for phrase in phrases if phrase in text]
        if found:
            english[page] = found
    assert not english, english
