"""Admin rights are for the Hwb team only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import AuditEntry, User
from accounts.services import AccountError, account_create
from tests.factories import make_account


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
