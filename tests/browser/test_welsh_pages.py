"""Each persona's pages in Welsh, in Chromium: the officer, the digital champion and the
headteacher choose Cymraeg on the sign-in page and keep it; every page they reach is Welsh
(<html lang="cy">), passes axe, and fits a 375 px phone (check_accessibility does both)."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from school_changes.services import staff_matches as mergers
from tests.school_changes.merger_builders import Staff, merger_of
from tests.transfers.builders import headteacher_of, moved_staff
from transfers.services import transfer_request_submit

from .pages import WELSH, Reauth, SignIn, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_in_welsh(page: Page, url: str, username: str) -> None:
    """Cymraeg chosen on the sign-in page, before the account is known."""
    SignIn(page, url).goto().verify().header.switch_to_welsh()
    SignIn(page, url, WELSH).verify().sign_in(username)


def welsh_page(page: Page, url: str, path: str, username: str, *, heading: str) -> None:
    page.goto(url + path)
    if page.url.split("?")[0].endswith("/user-management/sign-in/"):
        Reauth(page, url, WELSH).verify().sign_in(username)
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    check_accessibility(page)


def test_the_officers_pages_in_welsh(page: Page, server_url, local_authorities):
    merger = merger_of(
        [[Staff("huw", "Huw", "Price", date(1985, 1, 1)), Staff("rhys", "Rhys", "Hughes")]],
        [Staff("huw", "Huw", "Price"), Staff("rhys", "Rhys", "Hughes")],
    )
    mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)
    officer = merger.officer.username
    sign_in_in_welsh(page, server_url, officer)
    welsh_page(page, server_url, "/", officer, heading="Croeso")
    expect(page.get_by_role("region", name="Angen i chi weithredu")).to_be_visible()
    welsh_page(page, server_url, "/local-authority/", officer, heading="Awdurdod lleol")
    review = f"/local-authority/notices/{merger.notice.pk}/staff-matches/"
    welsh_page(page, server_url, review, officer, heading="Cyfatebiaethau cyfrifon staff")
    welsh_page(page, server_url, "/local-authority/notices/new/", officer, heading="")


def test_the_champions_pages_in_welsh(page: Page, server_url, champion, colleagues):
    sign_in_in_welsh(page, server_url, champion.username)
    for path in (
        "/user-management/",
        "/user-management/accounts/",
        f"/user-management/accounts/{colleagues[0].pk}/",
        "/user-management/provisioning/",
        "/user-management/my-profile/",
    ):
        welsh_page(page, server_url, path, champion.username, heading="")


def test_the_headteachers_pages_in_welsh(page: Page, server_url, llanberis, local_authorities):
    from tests.factories import SchoolFactory

    glantaf = SchoolFactory(dfes_number="6814004", name_en="Glantaf", name_cy="Glan-taf")
    head = headteacher_of(llanberis, first_name="Gwenllian", last_name="Ellis")
    old, new = moved_staff(llanberis, glantaf)
    transfer = transfer_request_submit(
        requester=new,
        previous_dfes=llanberis.dfes_number,
        previous_username=old.username,
        message="Annwyl Dr Ellis, gaf i gadw fy nghyfrif?",
        headteacher_confirmed=True,
    )
    sign_in_in_welsh(page, server_url, head.username)
    welsh_page(page, server_url, "/", head.username, heading="Croeso")
    expect(page.locator("main")).to_contain_text("yn aros am eich penderfyniad")
    welsh_page(page, server_url, "/user-management/", head.username, heading="")
    decide = f"/user-management/transfer-requests/{transfer.pk}/"
    welsh_page(page, server_url, decide, head.username, heading="")
