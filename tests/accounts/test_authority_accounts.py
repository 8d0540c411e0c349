"""A local authority's Hwb administrators (officers the Hwb team made so) run their authority's
own staff accounts as a champion runs a school's: create with an expiry, reset, keep, close;
no other authority's, no school's, no governors; everything audited."""

import re

import pytest
from django.test import Client

from accounts.models import AuditEntry, User
from accounts.rules import Refusal, account_management_refusal
from schools.models import LocalAuthority
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db
LIST = "/user-management/authority-accounts/"
NEW = "/user-management/authority-accounts/new/"
PRODUCTION_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",  # the fixtures' passwords
]


def page(response) -> str:
    return " ".join(response.content.decode().split())


def officer(code: int, *, admin: bool = True, first_name: str = "Ffion") -> User:
    account = make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=LocalAuthority.objects.get(code=code),
        first_name=first_name,
        last_name="Swyddog",
    )
    # The Hwb team ticks "Hwb administrator for their authority" in the admin.
    User.objects.filter(pk=account.pk).update(manages_authority_accounts=admin)
    account.refresh_from_db()
    return account


@pytest.fixture
def gwynedd_admin() -> User:
    return officer(661)


@pytest.fixture
def admin_client(gwynedd_admin) -> Client:
    return sign_in(Client(), gwynedd_admin)


def create(client, **overrides):
    answers = {
        "first_name": "Elis",
        "last_name": "Ymgynghorydd",
        "purpose": "la_staff",
        "expiry": "6",
        **overrides,
    }
    return client.post(NEW, answers)


def test_an_authority_admin_creates_resets_keeps_and_closes_an_account(
    admin_client, gwynedd_admin, settings
):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    assert "Your authority's staff accounts" in page(admin_client.get("/user-management/"))
    response = create(admin_client)
    account = User.objects.get(first_name="Elis")
    assert response.status_code == 302 and response.url == f"{LIST}{account.pk}/"
    assert (account.kind, account.school, account.local_authority_id) == ("staff", None, 661)
    assert account.non_mis_purpose == "la_staff" and account.expires_on is not None
    assert account.username in page(admin_client.get(LIST))

    # A one-time password on the credential sheet, under the authority's name.
    sheet = page(admin_client.post(f"{LIST}{account.pk}/reset-password/", follow=True))
    assert "Gwynedd" in sheet
    password = re.search(r'hwb-code">([A-Za-z0-9-]{14})<', sheet).group(1)
    account.refresh_from_db()
    assert account.check_password(password) and account.must_change_password

    admin_client.post(f"{LIST}{account.pk}/keep/", {"until": "1"})
    admin_client.post(f"{LIST}{account.pk}/close/", {"when": "at_expiry"})
    account.refresh_from_db()
    assert account.is_active and account.closes_at_expiry
    admin_client.post(f"{LIST}{account.pk}/close/")
    account.refresh_from_db()
    assert (account.is_active, account.deactivation_reason) == (False, "closed")
    actions = set(
        AuditEntry.objects.filter(target_id=str(account.pk), actor=gwynedd_admin).values_list(
            "action", flat=True
        )
    )
    assert {
        "account.created",
        "account.expiry_set",
        "account.password_reset",
        "account.close_at_expiry",
        "account.deactivated",
    } <= actions


def test_an_authority_makes_no_governors(admin_client):
    response = create(admin_client, purpose="governor")
    assert response.status_code == 400
    assert not User.objects.filter(first_name="Elis").exists()


def test_only_the_authoritys_own_admins_reach_its_accounts(admin_client, school, champion):
    create(admin_client)
    account = User.objects.get(first_name="Elis")
    plain_officer = officer(661, admin=False, first_name="Dafydd")
    cardiff_admin = officer(681, first_name="Carys")
    for someone in (plain_officer, cardiff_admin, champion):
        client = sign_in(Client(), someone)
        assert client.get(f"{LIST}{account.pk}/").status_code == 404
        assert client.post(f"{LIST}{account.pk}/reset-password/").status_code == 404
        assert client.post(f"{LIST}{account.pk}/close/").status_code == 404
    assert sign_in(Client(), plain_officer).get(LIST).status_code == 404
    account.refresh_from_db()
    assert account.is_active and not account.has_usable_password()


def test_an_authority_admin_reaches_no_schools_account(gwynedd_admin, staff_member, school):
    assert school.local_authority_id == 661  # the admin's own authority's school
    assert (
        account_management_refusal(actor=gwynedd_admin, account=staff_member) is Refusal.NOT_THEIRS
    )
    client = sign_in(Client(), gwynedd_admin)
    assert client.get(f"{LIST}{staff_member.pk}/").status_code == 404
    assert client.get(f"/user-management/accounts/{staff_member.pk}/").status_code == 404
    staff_member.refresh_from_db()
    assert staff_member.check_password(PASSWORD)


def test_another_officer_of_the_authority_is_senior_to_its_admin(gwynedd_admin):
    colleague = officer(661, admin=False, first_name="Dafydd")
    User.objects.filter(pk=colleague.pk).update(non_mis_purpose="la_staff", school=None)
    colleague.refresh_from_db()
    assert (
        account_management_refusal(actor=gwynedd_admin, account=colleague) is Refusal.HWB_TEAM_ONLY
    )


def test_the_hwb_team_makes_an_officer_an_authority_admin_in_the_admin_audited(client):
    from django.urls import reverse

    from tests.accounts.test_admin_accounts import change_form_data

    hwb = User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Tîm"
    )
    client.force_login(hwb)
    plain = officer(661, admin=False)
    url = reverse("admin:accounts_user_change", args=[plain.pk])
    response = client.post(url, change_form_data(plain, manages_authority_accounts="on"))
    assert response.status_code == 302
    plain.refresh_from_db()
    assert plain.manages_authority_accounts
    entry = AuditEntry.objects.get(action="account.updated", target_id=str(plain.pk))
    assert entry.details == {
        "fields": ["manages_authority_accounts"],
        "manages_authority_accounts": True,
    }
    # A school's member of staff cannot be made one.
    teacher = make_account(first_name="Siôn", last_name="Athro")
    response = client.post(
        reverse("admin:accounts_user_change", args=[teacher.pk]),
        change_form_data(teacher, manages_authority_accounts="on"),
    )
    teacher.refresh_from_db()
    assert not teacher.manages_authority_accounts
