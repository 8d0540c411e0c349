"""The Django admin goes through the audited services: nothing it does to an account or a role
bypasses them, admin rights are for the Hwb team only, and nothing is deleted in bulk."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import AuditEntry, OutboundEmail, SchoolRole, User
from accounts.services import AccountError, account_create
from tests.factories import PASSWORD, make_account


@pytest.fixture
def hwb_team(db) -> User:
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


@pytest.fixture
def admin_client(client, hwb_team):
    client.force_login(hwb_team)
    return client


def change_url(account: User) -> str:
    return reverse("admin:accounts_user_change", args=[account.pk])


def admin_url(name: str, account: User) -> str:
    return reverse(f"admin:accounts_user_{name}", args=[account.pk])


def change_form_data(account: User, **changes) -> dict:
    """What the admin's change form posts: its current values, with the changes."""
    data = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "preferred_language": account.preferred_language,
        "local_authority": account.local_authority_id or "",
        "school_roles-TOTAL_FORMS": "0",
        "school_roles-INITIAL_FORMS": str(account.school_roles.count()),
        "school_roles-MIN_NUM_FORMS": "0",
        "school_roles-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- Admin rights only for the Hwb team ---------------------------------------------------------


def test_admin_rights_on_a_schools_account_fail_validation(staff_member):
    staff_member.is_staff = True
    with pytest.raises(ValidationError) as refused:
        staff_member.full_clean()
    assert "Only Hwb team accounts may have admin rights" in str(refused.value)


@pytest.mark.parametrize("right", ["is_staff", "is_superuser"])
@pytest.mark.parametrize("kind", ["staff", "learner", "la_officer", "governor"])
def test_the_database_refuses_admin_rights_outside_the_hwb_team(school, kind, right):
    account = make_account(
        school=school if kind != "la_officer" else None,
        kind=kind,
        first_name="Rhys",
        last_name="Evans",
        local_authority=school.local_authority if kind == "la_officer" else None,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=account.pk).update(**{right: True})


def test_account_create_refuses_admin_rights_outside_the_hwb_team(school):
    with pytest.raises(AccountError, match="Only Hwb team accounts may have admin rights"):
        account_create(
            actor=None,
            first_name="Rhys",
            last_name="Evans",
            kind=User.Kind.STAFF,
            school=school,
            is_staff=True,
        )
    assert not User.objects.filter(last_name="Evans").exists()


def test_the_admin_form_refuses_admin_rights_for_a_schools_account(admin_client, staff_member):
    response = admin_client.post(
        change_url(staff_member), change_form_data(staff_member, is_staff="on", is_superuser="on")
    )
    assert response.status_code == 200
    assert "Only Hwb team accounts may have admin rights" in response.content.decode()
    staff_member.refresh_from_db()
    assert not staff_member.is_staff and not staff_member.is_superuser
    assert not AuditEntry.objects.filter(action="account.updated").exists()


def test_a_hwb_team_member_without_full_rights_cannot_grant_admin_rights(client, hwb_team):
    colleague = make_account(
        kind=User.Kind.HWB_TEAM, first_name="Gwyn", last_name="Desk", is_staff=True
    )
    colleague.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    newcomer = make_account(kind=User.Kind.HWB_TEAM, first_name="Nia", last_name="New")
    client.force_login(colleague)
    client.post(change_url(newcomer), change_form_data(newcomer, is_staff="on", is_superuser="on"))
    newcomer.refresh_from_db()
    assert not newcomer.is_staff and not newcomer.is_superuser
    # Nor reset the password of someone with full admin rights.
    assert client.get(admin_url("password_reset", hwb_team)).status_code == 403


def test_a_superuser_gives_a_hwb_team_colleague_admin_rights_audited(admin_client, hwb_team):
    colleague = make_account(kind=User.Kind.HWB_TEAM, first_name="Nia", last_name="Desk")
    response = admin_client.post(change_url(colleague), change_form_data(colleague, is_staff="on"))
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_staff and not colleague.is_superuser
    entry = AuditEntry.objects.get(action="account.updated", target_id=str(colleague.pk))
    assert entry.details == {"fields": ["is_staff"], "is_staff": True}
    assert entry.actor == hwb_team


# --- The account form edits details only, through the audited service ---------------------------


def test_the_admins_changes_to_an_account_are_audited_with_the_fields_changed(
    admin_client, hwb_team, staff_member
):
    response = admin_client.post(
        change_url(staff_member),
        change_form_data(staff_member, last_name="Jones-Evans", preferred_language="cy"),
    )
    assert response.status_code == 302
    staff_member.refresh_from_db()
    assert (staff_member.last_name, staff_member.preferred_language) == ("Jones-Evans", "cy")
    entry = AuditEntry.objects.get(action="account.updated")
    assert entry.actor == hwb_team
    assert entry.details["fields"] == ["last_name", "preferred_language"]
    assert entry.ip_address == "127.0.0.1"
    assert entry.target_id == str(staff_member.pk)


def test_a_crafted_post_cannot_change_school_kind_active_state_or_password(
    admin_client, staff_member, other_school
):
    before = User.objects.get(pk=staff_member.pk)
    admin_client.post(
        change_url(staff_member),
        change_form_data(
            staff_member,
            first_name="Siân Elin",
            school=other_school.pk,
            kind="hwb_team",
            is_active="",
            password="argon2$forged",
            must_change_password="on",
            username="forged",
            deletion_due_at="2020-01-01 00:00",
        ),
    )
    after = User.objects.get(pk=staff_member.pk)
    assert after.first_name == "Siân Elin"  # the one field the form may change
    for field in ("school_id", "kind", "is_active", "password", "must_change_password"):
        assert getattr(after, field) == getattr(before, field), field
    assert (after.username, after.deletion_due_at) == (before.username, None)
    assert after.check_password(PASSWORD)


def test_the_admins_password_page_is_gone(admin_client, staff_member):
    url = f"/admin/accounts/user/{staff_member.pk}/password/"
    admin_client.post(url, {"password1": "Forged-Pass-42", "password2": "Forged-Pass-42"})
    staff_member.refresh_from_db()
    assert staff_member.check_password(PASSWORD)


# --- Resetting a password, deactivating, reactivating: the services' buttons ---------------------


def _reset_in_admin(admin_client, account: User):
    confirm = admin_client.get(admin_url("password_reset", account))
    assert confirm.status_code == 200
    key = confirm.context["form"]["form_key"].value()
    return admin_client.post(admin_url("password_reset", account), {"form_key": key})


@pytest.mark.parametrize("persona", ["headteacher", "champion"])
def test_the_hwb_team_resets_a_senior_account_in_the_admin_shown_once(
    admin_client, hwb_team, persona, request
):
    account = request.getfixturevalue(persona)
    assert "Reset password" in admin_client.get(change_url(account)).content.decode()
    response = _reset_in_admin(admin_client, account)
    assert response.status_code == 302
    assert response.url == admin_url("one_time_password", account)
    shown = admin_client.get(response.url)
    password = shown.context["password"]
    assert password in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    again = admin_client.get(response.url).content.decode()
    assert password not in again and "already" in again
    account.refresh_from_db()
    assert account.check_password(password) and account.must_change_password
    entry = AuditEntry.objects.get(action="account.password_reset", target_id=str(account.pk))
    assert entry.actor == hwb_team
    assert OutboundEmail.objects.filter(
        to=account.email, template="password_reset_by_someone_else"
    ).exists()


def test_the_hwb_team_cannot_reset_their_own_password_in_the_admin(admin_client, hwb_team):
    response = _reset_in_admin(admin_client, hwb_team)
    assert response.status_code == 302
    hwb_team.refresh_from_db()
    assert hwb_team.check_password("Admin-Pass-42")
    assert not AuditEntry.objects.filter(action="account.password_reset").exists()


def test_the_hwb_team_deactivates_and_reactivates_through_the_services(
    admin_client, hwb_team, staff_member
):
    assert admin_client.get(admin_url("deactivate", staff_member)).status_code == 200
    admin_client.post(admin_url("deactivate", staff_member))
    staff_member.refresh_from_db()
    assert not staff_member.is_active
    assert staff_member.deactivation_reason == User.DeactivationReason.HWB_TEAM
    assert staff_member.deletion_due_at is not None
    admin_client.post(admin_url("reactivate", staff_member))
    staff_member.refresh_from_db()
    assert staff_member.is_active and staff_member.deletion_due_at is None
    actions = list(
        AuditEntry.objects.filter(target_id=str(staff_member.pk), actor=hwb_team)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["account.deactivated", "account.reactivated"]


def test_the_list_actions_deactivate_and_reactivate_through_the_services(
    admin_client, hwb_team, staff_member, learner
):
    changelist = reverse("admin:accounts_user_changelist")
    admin_client.post(
        changelist,
        {"action": "deactivate_selected", "_selected_action": [staff_member.pk, learner.pk]},
    )
    assert not User.objects.filter(pk__in=[staff_member.pk, learner.pk], is_active=True).exists()
    assert AuditEntry.objects.filter(action="account.deactivated", actor=hwb_team).count() == 2
    admin_client.post(
        changelist, {"action": "reactivate_selected", "_selected_action": [staff_member.pk]}
    )
    staff_member.refresh_from_db()
    assert staff_member.is_active


# --- School roles: granted and revoked through the services --------------------------------------


def test_the_hwb_team_grants_a_role_through_the_service(admin_client, hwb_team, staff_member):
    add = reverse("admin:accounts_schoolrole_add")
    assert admin_client.get(add, {"username": staff_member.username}).status_code == 200
    response = admin_client.post(
        add, {"username": staff_member.username.upper(), "role": "digital_champion"}
    )
    assert response.status_code == 302
    assert SchoolRole.objects.filter(user=staff_member, role="digital_champion").exists()
    entry = AuditEntry.objects.get(action="school_role.granted", target_id=str(staff_member.pk))
    assert entry.actor == hwb_team and entry.details == {"role": "digital_champion"}


def test_a_role_cannot_be_granted_to_an_account_with_no_school(admin_client, school):
    officer = make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=school.local_authority,
        first_name="Mared",
        last_name="Lewis",
    )
    response = admin_client.post(
        reverse("admin:accounts_schoolrole_add"),
        {"username": officer.username, "role": "headteacher"},
    )
    assert response.status_code == 200
    assert not SchoolRole.objects.filter(user=officer).exists()


def test_the_hwb_team_revokes_a_role_through_the_service(admin_client, hwb_team, champion):
    role = SchoolRole.objects.get(user=champion)
    admin_client.post(
        reverse("admin:accounts_schoolrole_changelist"),
        {"action": "revoke_selected", "_selected_action": [role.pk]},
    )
    assert not SchoolRole.objects.filter(pk=role.pk).exists()
    entry = AuditEntry.objects.get(action="school_role.revoked", target_id=str(champion.pk))
    assert entry.actor == hwb_team


def test_a_role_cannot_be_edited_or_deleted_directly(admin_client, champion, other_school):
    role = SchoolRole.objects.get(user=champion)
    admin_client.post(
        reverse("admin:accounts_schoolrole_change", args=[role.pk]),
        {"user": champion.pk, "school": other_school.pk, "role": "headteacher"},
    )
    delete = admin_client.post(
        reverse("admin:accounts_schoolrole_delete", args=[role.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    role.refresh_from_db()
    assert (role.school_id, role.role) == (champion.school_id, "digital_champion")


def test_the_accounts_page_lists_roles_without_editing_them(admin_client, champion):
    body = admin_client.get(change_url(champion)).content.decode()
    assert "Digital champion" in body
    assert 'name="school_roles-0-role"' not in body
    assert "Grant a school role" in body


# --- Nothing deleted in bulk, accounts not at all ------------------------------------------------


def test_bulk_delete_is_offered_nowhere(hwb_team):
    request = RequestFactory().get("/admin/")
    request.user = hwb_team
    offering = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if "delete_selected" in model_admin.get_actions(request)
    ]
    assert offering == []


@pytest.mark.parametrize(
    "model", ["accounts.user", "accounts.schoolrole", "accounts.retiredusername", "schools.school"]
)
def test_these_are_never_deleted_in_the_admin(admin_client, model, staff_member, champion, school):
    from django.apps import apps

    model_class = apps.get_model(model)
    row = model_class.objects.first()
    app_label, model_name = model.split(".")
    if row is None:  # retired usernames: a row made for the test
        row = model_class.objects.create(username="gonep", username_base="gonep")
    url = reverse(f"admin:{app_label}_{model_name}_delete", args=[row.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert model_class.objects.filter(pk=row.pk).exists()
