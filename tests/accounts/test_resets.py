"""Who may reset whose password, the page that shows a one-time password once, and the email
the account's holder gets when someone else resets it."""

import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client

from accounts.models import AuditEntry, OutboundEmail, SchoolRole, User
from accounts.rules import account_manageable_by
from accounts.services import (
    AccountError,
    AccountResetRepeated,
    account_password_change,
    account_password_reset,
)
from tests.conftest import sign_in
from tests.factories import PASSWORD, SchoolFactory, make_account, make_champion
from tests.services import require

TEMPLATE = "password_reset_by_someone_else"


def reset_url(account: User) -> str:
    return f"/user-management/accounts/{account.pk}/reset-password/"


def shown_url(account: User) -> str:
    return reset_url(account) + "one-time-password/"


def form_key(client, account: User) -> str:
    """The confirmation page's own key, as the browser would send it back."""
    return client.get(reset_url(account)).context["form"]["form_key"].value()


def reset_through_the_page(client, account: User):
    return client.post(reset_url(account), {"form_key": form_key(client, account)})


def assert_unchanged(account: User) -> None:
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    assert not account.must_change_password
    assert not AuditEntry.objects.filter(
        action="account.password_reset", target_id=str(account.pk)
    ).exists()
    assert not OutboundEmail.objects.filter(to=account.email, template=TEMPLATE).exists()


# --- People -----------------------------------------------------------------------------------


@pytest.fixture
def second_champion(school) -> User:
    return make_champion(school, first_name="Nia", last_name="Hughes")


@pytest.fixture
def officer(school) -> User:
    return make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=school.local_authority,
        first_name="Mared",
        last_name="Lewis",
    )


@pytest.fixture
def admin_at_school(school) -> User:
    """A Hwb team account with admin rights that happens to be placed at the school."""
    return make_account(
        school=school, kind=User.Kind.HWB_TEAM, first_name="Gwyn", last_name="Admin", is_staff=True
    )


@pytest.fixture
def governor(school) -> User:
    return make_account(school=school, kind=User.Kind.GOVERNOR, first_name="Eleri", last_name="Wyn")


@pytest.fixture
def ite_student(school) -> User:
    return make_account(
        school=school, kind=User.Kind.ITE_STUDENT, first_name="Owain", last_name="Rees"
    )


SENIOR_AT_SCHOOL = ["headteacher", "second_champion", "admin_at_school"]
ORDINARY = ["staff_member", "learner", "governor", "ite_student"]


# --- Who may reset whom: the service ----------------------------------------------------------


@pytest.mark.parametrize("persona", [*SENIOR_AT_SCHOOL, "officer"])
def test_a_champion_cannot_reset_a_senior_or_privileged_account(champion, persona, request):
    account = request.getfixturevalue(persona)
    with pytest.raises(AccountError):
        account_password_reset(actor=champion, account=account, ip_address=None)
    assert_unchanged(account)
    assert not account_manageable_by(actor=champion, account=account)


@pytest.mark.parametrize("persona", SENIOR_AT_SCHOOL)
def test_the_refusal_says_the_hwb_team_resets_it(champion, persona, request):
    account = request.getfixturevalue(persona)
    with pytest.raises(AccountError, match="Only the Hwb team can reset this account's password"):
        account_password_reset(actor=champion, account=account, ip_address=None)


def test_a_headteacher_who_is_also_a_champion_is_still_the_hwb_teams_to_reset(champion, school):
    head = make_account(
        school=school,
        first_name="Alun",
        last_name="Head",
        roles=(SchoolRole.Role.HEADTEACHER, SchoolRole.Role.DIGITAL_CHAMPION),
    )
    with pytest.raises(AccountError):
        account_password_reset(actor=champion, account=head, ip_address=None)
    assert_unchanged(head)


@pytest.mark.parametrize("persona", ORDINARY)
def test_a_champion_resets_the_ordinary_accounts_of_their_school(champion, persona, request):
    account = request.getfixturevalue(persona)
    password = account_password_reset(actor=champion, account=account, ip_address=None)
    account.refresh_from_db()
    assert account.check_password(password) and account.must_change_password


def test_a_champion_cannot_reset_another_schools_account_even_through_the_service(
    champion, other_school_staff
):
    with pytest.raises(AccountError):
        account_password_reset(actor=champion, account=other_school_staff, ip_address=None)
    assert_unchanged(other_school_staff)


def test_someone_who_is_no_longer_a_champion_cannot_reset(champion, staff_member):
    SchoolRole.objects.filter(user=champion).delete()
    with pytest.raises(AccountError):
        account_password_reset(actor=champion, account=staff_member, ip_address=None)
    assert_unchanged(staff_member)


def test_an_ordinary_member_of_staff_cannot_reset_a_colleague(staff_member, school):
    colleague = make_account(school=school, first_name="Tomos", last_name="Lewis")
    with pytest.raises(AccountError):
        account_password_reset(actor=staff_member, account=colleague, ip_address=None)
    assert_unchanged(colleague)


# --- Who may reset whom: the champion's pages -------------------------------------------------


@pytest.mark.parametrize("persona", SENIOR_AT_SCHOOL)
def test_the_champions_pages_send_senior_accounts_to_the_hwb_team(
    champion_client, persona, request
):
    account = request.getfixturevalue(persona)
    detail = champion_client.get(f"/user-management/accounts/{account.pk}/").content.decode()
    assert "Only the Hwb team can reset this account" in detail
    assert reset_url(account) not in detail
    confirm = champion_client.get(reset_url(account))
    assert confirm.status_code == 403
    assert "Only the Hwb team can reset this account" in confirm.content.decode()
    assert 'name="form_key"' not in confirm.content.decode()
    # A crafted POST, with a well-formed key, is refused by the service all the same.
    crafted = champion_client.post(reset_url(account), {"form_key": "k" * 32})
    assert crafted.status_code == 403
    assert "<title>Error:" in crafted.content.decode()
    assert_unchanged(account)


def test_the_champions_own_account_page_points_to_change_your_password(champion_client, champion):
    body = champion_client.get(f"/user-management/accounts/{champion.pk}/").content.decode()
    assert "cannot reset your own password here" in body
    assert reset_url(champion) not in body


# --- The one-time password, shown once ----------------------------------------------------------


def test_reset_is_a_post_that_redirects_and_the_password_is_shown_once(
    champion_client, staff_member
):
    response = reset_through_the_page(champion_client, staff_member)
    assert response.status_code == 302
    assert response.url == shown_url(staff_member)
    shown = champion_client.get(response.url)
    password = shown.context["password"]
    assert password and password in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    # Kept only until shown: the session no longer holds it.
    assert password not in str(dict(champion_client.session))

    again = champion_client.get(shown_url(staff_member))
    body = again.content.decode()
    assert again.status_code == 200
    assert "One-time password already shown" in body
    assert password not in body
    assert "no-store" in again["Cache-Control"]
    staff_member.refresh_from_db()
    assert staff_member.check_password(password)  # the refresh changed nothing
    assert (
        AuditEntry.objects.filter(
            action="account.password_reset", target_id=str(staff_member.pk)
        ).count()
        == 1
    )


def test_visiting_the_one_time_password_page_without_a_reset_shows_nothing_and_changes_nothing(
    champion_client, staff_member
):
    body = champion_client.get(shown_url(staff_member)).content.decode()
    assert "One-time password already shown" in body
    assert_unchanged(staff_member)


def test_the_password_waits_in_the_resetters_session_only(champion_client, staff_member, school):
    reset_through_the_page(champion_client, staff_member)
    other_champion = make_champion(school, first_name="Nia", last_name="Hughes")
    other = sign_in(Client(), other_champion)
    assert other.get(shown_url(staff_member)).context["password"] is None
    assert champion_client.get(shown_url(staff_member)).context["password"]


def test_a_password_never_shown_is_dropped_after_ten_minutes(client, champion, staff_member):
    with time_machine.travel("2026-03-02 09:00 +0000", tick=False):
        sign_in(client, champion)
        assert reset_through_the_page(client, staff_member).status_code == 302
    with time_machine.travel("2026-03-02 09:11 +0000", tick=False):
        assert client.get(shown_url(staff_member)).context["password"] is None


def test_a_double_click_resets_once_and_shows_the_first_password(champion_client, staff_member):
    key = form_key(champion_client, staff_member)
    first = champion_client.post(reset_url(staff_member), {"form_key": key})
    second = champion_client.post(reset_url(staff_member), {"form_key": key})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == shown_url(staff_member)
    password = champion_client.get(shown_url(staff_member)).context["password"]
    staff_member.refresh_from_db()
    assert staff_member.check_password(password)
    assert (
        AuditEntry.objects.filter(
            action="account.password_reset", target_id=str(staff_member.pk)
        ).count()
        == 1
    )
    assert OutboundEmail.objects.filter(to=staff_member.email, template=TEMPLATE).count() == 1


def test_a_post_without_the_forms_key_is_refused_and_changes_nothing(champion_client, staff_member):
    for data in ({}, {"form_key": "short"}, {"form_key": "<script>" * 8}):
        response = champion_client.post(reset_url(staff_member), data)
        assert response.status_code == 400
        assert "This form has expired" in response.content.decode()
    assert_unchanged(staff_member)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_clicks_of_one_form_mint_one_password(local_authorities):
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    school = SchoolFactory(dfes_number="6612001")
    champion = make_champion(school)
    holder = make_account(school=school, first_name="Siân", last_name="Jones")
    clicks = 4
    start = threading.Barrier(clicks)
    outcomes: list = [None] * clicks

    def click(number: int) -> None:
        try:
            start.wait(10)
            outcomes[number] = account_password_reset(
                actor=champion, account=holder, ip_address=None, form_key="same-form-key-123456"
            )
        except Exception as error:  # noqa: BLE001 - each outcome is checked below
            outcomes[number] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(number,)) for number in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    passwords = [each for each in outcomes if isinstance(each, str)]
    repeats = [each for each in outcomes if isinstance(each, AccountResetRepeated)]
    assert (len(passwords), len(repeats)) == (1, clicks - 1), outcomes
    holder.refresh_from_db()
    assert holder.check_password(passwords[0])
    assert OutboundEmail.objects.filter(to=holder.email, template=TEMPLATE).count() == 1


# --- The holder is told -------------------------------------------------------------------------


@time_machine.travel("2026-03-02 14:05 +0000", tick=False)
def test_the_holder_is_emailed_who_reset_their_password_and_what_to_do(
    champion, staff_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        account_password_reset(actor=champion, account=staff_member, ip_address=None)
    email = OutboundEmail.objects.get(template=TEMPLATE)
    assert email.to == staff_member.email
    # Both languages, Welsh first (Welsh Language Standards), whatever the reader's language.
    assert email.subject.endswith(" / Your Hwb password has been reset")
    welsh, english = email.body_text.split("=" * 40)
    assert (
        "Dafydd Prys, a digital champion at Llanberis Primary School, reset the password of "
        f"your Hwb account {staff_member.username} on 2 March 2026, 14:05." in english
    )
    assert "If you did not expect this, someone may be trying to get into your account" in english
    assert "Hwb service desk" in english
    assert (
        "Ailosododd Dafydd Prys, hyrwyddwr digidol yn Ysgol Gynradd Llanberis, gyfrinair eich "
        f"cyfrif Hwb {staff_member.username} ar 2 Mawrth 2026, 14:05." in welsh
    )
    assert '<html lang="cy">' in email.body_html
    assert email.body_html.index('<div lang="cy">') < email.body_html.index('<div lang="en">')


def test_a_welsh_speaker_reads_welsh_first(champion, staff_member):
    staff_member.preferred_language = "cy"
    staff_member.save()
    account_password_reset(actor=champion, account=staff_member, ip_address=None)
    email = OutboundEmail.objects.get(template=TEMPLATE)
    welsh, english = email.body_text.split("=" * 40)
    assert email.language == "cy,en"
    assert email.subject == (
        "Mae eich cyfrinair Hwb wedi’i ailosod / Your Hwb password has been reset"
    )
    assert "hyrwyddwr digidol yn Ysgol Gynradd Llanberis" in welsh
    assert "rhowch wybod i’ch pennaeth neu i ddesg wasanaeth Hwb" in welsh
    assert "a digital champion at Llanberis Primary School" in english
    assert '<html lang="cy">' in email.body_html


def test_the_one_time_password_is_not_in_the_email(champion, staff_member):
    password = account_password_reset(actor=champion, account=staff_member, ip_address=None)
    email = OutboundEmail.objects.get(template=TEMPLATE)
    assert password not in email.body_text and password not in email.body_html


def test_learners_are_not_emailed(champion, learner):
    account_password_reset(actor=champion, account=learner, ip_address=None)
    assert not OutboundEmail.objects.filter(template=TEMPLATE).exists()


def test_nobody_is_emailed_when_they_change_their_own_password(champion, staff_member):
    with pytest.raises(AccountError):
        account_password_reset(actor=staff_member, account=staff_member, ip_address=None)
    account_password_change(user=staff_member, new_password="Afon-Menai-2026", ip_address=None)
    assert not OutboundEmail.objects.filter(template=TEMPLATE).exists()


def test_a_reset_by_the_hwb_team_says_so(staff_member):
    hwb = User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )
    account_password_reset(actor=hwb, account=staff_member, ip_address=None)
    email = OutboundEmail.objects.get(template=TEMPLATE)
    assert "Hwb Admin, of the Hwb team, reset the password" in email.body_text


def test_the_command_line_reset_is_signed_by_the_hwb_team(staff_member):
    account_password_reset(actor=None, account=staff_member, ip_address=None)
    email = OutboundEmail.objects.get(template=TEMPLATE)
    assert "The Hwb team reset the password of your Hwb account" in email.body_text
