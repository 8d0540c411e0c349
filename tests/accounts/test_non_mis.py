"""A school's own accounts (not from its MIS): made by its champions for governors, supply staff,
visitors and services, each with an expiry; kept or closed; closed by the daily job at expiry or
after 90 days unused; never learners, never another school's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, User
from accounts.services import (
    AccountError,
    non_mis_account_create,
    non_mis_accounts_close_due,
    non_mis_accounts_expiring,
)
from tests.conftest import sign_in
from tests.factories import make_account

NEW = "/user-management/accounts/new/"


def page(response) -> str:
    return " ".join(response.content.decode().split())


def answers(**overrides) -> dict:
    return {
        "first_name": "Alun",
        "last_name": "Bebb",
        "purpose": "governor",
        "expiry": "year_end",
        **overrides,
    }


def test_a_champion_creates_a_governor_account_until_the_end_of_the_year(champion_client, champion):
    response = champion_client.post(NEW, answers())
    account = User.objects.get(first_name="Alun")
    assert response.status_code == 302 and response.url.endswith(f"/accounts/{account.pk}/")
    assert (account.kind, account.non_mis_purpose) == ("governor", "governor")
    end = account.expires_on
    assert (end.month, end.day) == (8, 31) and 0 <= (end - timezone.localdate()).days <= 366
    assert account.username == "bebba" and not account.has_usable_password()
    assert account.school == champion.school
    body = page(champion_client.get(response.url))
    assert f"Account created: bebba, until 31 August {end.year}." in body
    assert "Expires on" in body and "Keep</button>" in body and "Close now</button>" in body
    entry = AuditEntry.objects.get(action="account.expiry_set", target_id=str(account.pk))
    assert entry.actor == champion and entry.details["expires_on"] == end.isoformat()


@pytest.mark.parametrize(("expiry", "days"), [("1", range(28, 32)), ("6", range(181, 185))])
def test_months_of_expiry(champion_client, expiry, days):
    champion_client.post(NEW, answers(purpose="supply", expiry=expiry))
    account = User.objects.get(first_name="Alun")
    assert account.kind == "staff"
    assert (account.expires_on - timezone.localdate()).days in days


def test_a_form_with_mistakes_says_each_and_makes_nothing(champion_client):
    response = champion_client.post(NEW, {"first_name": " ", "purpose": "learner"})
    assert response.status_code == 400
    body = page(response)
    for message in (
        "Enter their first name",
        "Enter their last name",
        "Select a valid choice",
        "Choose how long the account lasts",
    ):
        assert message in body
    assert not User.objects.filter(first_name="Alun").exists()


def test_only_the_schools_champions_make_its_accounts(client, staff_member, school):
    sign_in(client, staff_member)
    assert client.get(NEW).status_code == 404
    with pytest.raises(AccountError, match="Only the school's digital champions"):
        non_mis_account_create(
            actor=staff_member,
            school=school,
            first_name="A",
            last_name="B",
            purpose="visitor",
            expiry="1",
        )


def test_keep_and_close(champion_client, champion):
    champion_client.post(NEW, answers(purpose="visitor", expiry="1"))
    account = User.objects.get(first_name="Alun")
    keep = f"/user-management/accounts/{account.pk}/keep/"
    champion_client.post(keep, {"until": "6"})
    account.refresh_from_db()
    assert account.expires_on > timezone.localdate() + timedelta(days=150)
    close = f"/user-management/accounts/{account.pk}/close/"
    body = page(champion_client.post(close, follow=True))
    assert "is closed; it will be deleted after 12 months." in body
    account.refresh_from_db()
    assert (account.is_active, account.deactivation_reason) == (False, "closed")
    assert account.deletion_due_at is not None
    # An MIS account is the MIS's: no keep or close for it.
    mis = User.objects.get(pk=champion.pk)
    assert champion_client.post(f"/user-management/accounts/{mis.pk}/close/").status_code == 302
    mis.refresh_from_db()
    assert mis.is_active


def test_the_dashboard_warns_of_accounts_closing_within_8_weeks(champion_client, champion):
    champion_client.post(NEW, answers(expiry="1"))
    champion_client.post(NEW, answers(first_name="Cai", last_name="Owen", expiry="6"))
    soon = User.objects.get(first_name="Alun")
    assert non_mis_accounts_expiring(champion.school) == [soon]
    body = page(champion_client.get("/user-management/"))
    banner = body[body.index('id="expiring-title"') :]
    banner = banner[: banner.index("</ul>")]
    assert "1 account made in Hwb closes within 8 weeks" in banner
    assert f"({soon.username})" in banner and "owenc" not in banner


def test_close_at_expiry_leaves_the_banner_and_closes_on_the_day(champion_client, champion):
    champion_client.post(NEW, answers(purpose="supply", expiry="1"))
    account = User.objects.get(first_name="Alun")
    close = f"/user-management/accounts/{account.pk}/close/"
    body = page(champion_client.post(close, {"when": "at_expiry"}, follow=True))
    assert "you will not be asked about it again" in body
    assert "as you chose" in body and "Close at expiry" not in body
    account.refresh_from_db()
    assert account.is_active and account.closes_at_expiry
    assert AuditEntry.objects.filter(action="account.close_at_expiry").count() == 1
    assert non_mis_accounts_expiring(champion.school) == []
    assert 'id="expiring-title"' not in page(champion_client.get("/user-management/"))
    # The daily job closes it the day after its expiry date, as any other.
    User.objects.filter(pk=account.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert non_mis_accounts_close_due() == {"expired": 1, "unused": 0}
    # Keep undoes the choice: the banner asks again when the new date nears.
    champion_client.post(NEW, answers(first_name="Cai", purpose="supply", expiry="1"))
    cai = User.objects.get(first_name="Cai")
    champion_client.post(f"/user-management/accounts/{cai.pk}/close/", {"when": "at_expiry"})
    champion_client.post(f"/user-management/accounts/{cai.pk}/keep/", {"until": "1"})
    cai.refresh_from_db()
    assert not cai.closes_at_expiry
    assert non_mis_accounts_expiring(champion.school) == [cai]


def test_the_daily_job_closes_expired_and_unused_accounts(champion, school):
    def made(first_name: str, expiry: str) -> User:
        return non_mis_account_create(
            actor=champion,
            school=school,
            first_name=first_name,
            last_name="Visitor",
            purpose="visitor",
            expiry=expiry,
        )

    expired, unused, used = made("Ann", "1"), made("Ben", "6"), made("Cat", "6")
    User.objects.filter(pk=expired.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    long_ago = timezone.now() - timedelta(days=91)
    User.objects.filter(pk__in=[unused.pk, used.pk]).update(date_joined=long_ago)
    User.objects.filter(pk=used.pk).update(last_login=timezone.now() - timedelta(days=3))
    assert non_mis_accounts_close_due() == {"expired": 1, "unused": 1}
    reasons = dict(
        User.objects.filter(last_name="Visitor").values_list("first_name", "deactivation_reason")
    )
    assert reasons == {"Ann": "expired", "Ben": "unused", "Cat": ""}
    assert non_mis_accounts_close_due() == {"expired": 0, "unused": 0}  # safe to run twice
    # MIS accounts are never touched by it.
    assert User.objects.get(pk=champion.pk).is_active


def test_a_school_made_staff_account_is_not_offered_account_transfer(client, champion, school):
    supply = non_mis_account_create(
        actor=champion,
        school=school,
        first_name="Dewi",
        last_name="Supply",
        purpose="supply",
        expiry="3",
    )
    from transfers.selectors import may_ask_for_transfer

    assert not may_ask_for_transfer(supply)


def test_governors_are_listed_and_closed_by_hand_when_they_leave(champion_client, champion):
    governor = make_account(school=champion.school, kind=User.Kind.GOVERNOR, first_name="Alun")
    dashboard = page(champion_client.get("/user-management/"))
    assert 'href="/user-management/accounts/?kind=governor">View governors</a>' in dashboard
    listing = page(champion_client.get("/user-management/accounts/", {"kind": "governor"}))
    assert governor.username in listing and champion.username not in listing
    close = f"/user-management/accounts/{governor.pk}/close/"
    champion_client.post(close)
    governor.refresh_from_db()
    assert (governor.is_active, governor.deactivation_reason) == (False, "closed")


def test_a_champion_cannot_close_a_fellow_champions_school_made_account(champion, school):
    from accounts.models import SchoolRole
    from accounts.services import non_mis_account_close, school_role_grant

    supply = non_mis_account_create(
        actor=champion,
        school=school,
        first_name="Dewi",
        last_name="Supply",
        purpose="supply",
        expiry="3",
    )
    school_role_grant(actor=None, user=supply, school=school, role=SchoolRole.Role.DIGITAL_CHAMPION)
    with pytest.raises(AccountError, match="ask the Hwb service desk"):
        non_mis_account_close(actor=champion, account=supply)
    supply.refresh_from_db()
    assert supply.is_active
