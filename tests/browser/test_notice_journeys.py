"""The local authority area in Chromium: an officer notifies a merger and sees it in their list;
a late notice carries its warning. axe checks every page reached."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from school_changes.models import SchoolNotice
from schools.models import School
from tests.factories import PASSWORD, SchoolFactory, make_account

from .pages import (
    CheckPage,
    LocalAuthorityPage,
    NoticeFormPage,
    NoticePage,
    NoticeStartPage,
    SignInPage,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gwynedd(local_authorities) -> list[School]:
    return [
        SchoolFactory(dfes_number="6612001", name_en="Llanberis Primary School"),
        SchoolFactory(dfes_number="6612002", name_en="Deiniolen Primary School"),
        SchoolFactory(dfes_number="6612003", name_en="Waunfawr Primary School"),
        SchoolFactory(dfes_number="6814004", name_en="Glantaf Secondary School"),
    ]


@pytest.fixture
def officer(gwynedd) -> User:
    return make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=gwynedd[0].local_authority,
        first_name="Alun",
        last_name="Morgan",
    )


def sign_in_to_local_authority(page: Page, base_url: str, officer: User) -> LocalAuthorityPage:
    SignInPage(page, base_url).goto().sign_in(officer.username, PASSWORD)
    page.get_by_role("navigation").first.get_by_role(
        "link", name="Local authority", exact=True
    ).click()
    return LocalAuthorityPage(page, base_url).verify()


def notify_merger(page: Page, base_url: str, area: LocalAuthorityPage, *, weeks_ahead: int):
    area.start_notice()
    NoticeStartPage(page, base_url).verify().choose("A merger of schools")
    form = NoticeFormPage(page, base_url, "A merger of schools").verify()
    # Only Gwynedd's schools are offered; Cardiff's is not.
    expect(form.main.get_by_label("Glantaf Secondary School (6814004)")).to_have_count(0)
    form.main.get_by_label("Deiniolen Primary School (6612002)", exact=True).check()
    form.main.get_by_label("Waunfawr Primary School (6612003)", exact=True).check()
    form.main.get_by_label("A new school", exact=True).check()
    form.main.get_by_label("School name in English", exact=True).fill("Ysgol Bro Peris")
    form.main.get_by_label("Phase", exact=True).select_option("primary")
    form.date("Date of the merger", timezone.localdate() + timedelta(weeks=weeks_ahead))
    form.proceed()
    return CheckPage(page, base_url).verify()


def test_an_officer_notifies_a_merger_and_sees_it_in_their_list(
    page: Page, server_url, officer, gwynedd
):
    area = sign_in_to_local_authority(page, server_url, officer)
    expect(area.main).to_contain_text("Your authority has sent no notices yet.")

    # A first try with a mistake: the error summary and the field's message, then put right.
    area.start_notice()
    NoticeStartPage(page, server_url).verify().choose("A merger of schools")
    form = NoticeFormPage(page, server_url, "A merger of schools").verify()
    form.main.get_by_label("Deiniolen Primary School (6612002)", exact=True).check()
    form.proceed()
    expect(page).to_have_title(re.compile(r"^Error: A merger of schools"))
    summary = page.locator(".govuk-error-summary")
    expect(
        summary.get_by_role("link", name="Choose at least two schools that are merging")
    ).to_be_visible()
    check_page = form  # the same page, with its errors: axe again
    check_page.verify()

    area.goto()
    check = notify_merger(page, server_url, area, weeks_ahead=12)
    expect(check.late_warning).to_have_count(0)
    expect(check.main).to_contain_text("84 days – on time")
    check.send()

    notice_page = NoticePage(page, server_url).verify()
    expect(notice_page.main).to_contain_text("Your notice has been sent to the Hwb team")
    expect(notice_page.main.get_by_role("button", name="Withdraw this notice")).to_be_visible()

    area.goto()
    area.verify()
    notice = SchoolNotice.objects.get()
    row = area.notices.get_by_role("row").filter(has_text=f"Merger (notice {notice.pk})")
    expect(row).to_contain_text("Deiniolen Primary School")
    expect(row).to_contain_text("Received")
    assert set(notice.closing_schools.values_list("dfes_number", flat=True)) == {
        "6612002",
        "6612003",
    }


def test_a_late_notice_shows_the_late_warning(page: Page, server_url, officer, gwynedd):
    area = sign_in_to_local_authority(page, server_url, officer)
    check = notify_merger(page, server_url, area, weeks_ahead=3)
    expect(check.late_warning).to_contain_text("This notice is late: it gives 21 days' notice.")
    expect(check.main).to_contain_text(
        "may not be set up on Hwb, with its Provisioning Client running, by its date"
    )
    check.send()
    notice_page = NoticePage(page, server_url).verify()
    expect(notice_page.main.get_by_test_id("late-warning")).to_be_visible()
    assert SchoolNotice.objects.get().is_late
