"""A local authority's Hwb administrator runs the authority's own staff accounts in Chromium, in
English and in Welsh: create one with an expiry, give it a one-time password on the credential
sheet, then let it close at its expiry. axe and the 375 px check on every page."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from schools.models import LocalAuthority
from tests.factories import make_account

from .pages import ENGLISH, WELSH, Reauth, SignIn, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authority_admin(local_authorities) -> User:
    officer = make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=LocalAuthority.objects.get(code=661),
        first_name="Ffion",
        last_name="Swyddog",
    )
    User.objects.filter(pk=officer.pk).update(manages_authority_accounts=True)  # the Hwb team
    return User.objects.get(pk=officer.pk)


@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_an_authority_admin_runs_the_authoritys_staff_accounts(
    page: Page, server_url, authority_admin, words
):
    SignIn(page, server_url).goto().verify()
    if words is WELSH:
        SignIn(page, server_url).header.switch_to_welsh()
    SignIn(page, server_url, words).verify().sign_in(authority_admin.username)
    page.goto(server_url + "/user-management/")
    Reauth(page, server_url, words).verify().sign_in(authority_admin.username)
    page.get_by_role("link", name=words("Your authority's staff accounts")).click()
    check_accessibility(page)

    page.get_by_role("button", name=words("Create an account")).click()
    check_accessibility(page)
    main = page.get_by_role("main")
    expect(main.get_by_label(words("Governor"), exact=True)).to_have_count(0)
    main.get_by_label(words("First name"), exact=True).fill("Elis")
    main.get_by_label(words("Last name"), exact=True).fill("Ymgynghorydd")
    main.get_by_label(words("Local-authority or consortium staff"), exact=True).check()
    main.get_by_label(words("6 months"), exact=True).check()
    main.get_by_role("button", name=words("Create the account")).click()
    check_accessibility(page)
    account = User.objects.get(first_name="Elis")
    expect(page.get_by_role("alert")).to_contain_text(account.username)
    assert (account.school_id, account.local_authority_id) == (None, 661)

    page.get_by_role("main").get_by_role("button", name=words("Reset password")).click()
    expect(page.locator(".hwb-card")).to_have_count(1)
    expect(page.locator(".hwb-card")).to_contain_text(account.username)
    check_accessibility(page)

    page.goto(server_url + f"/user-management/authority-accounts/{account.pk}/")
    page.get_by_role("main").get_by_role("button", name=words("Close at expiry")).click()
    check_accessibility(page)
    account.refresh_from_db()
    assert account.is_active and account.closes_at_expiry
