"""A merger's staff matches in Chromium: the local-authority officer opens the notice, reviews
the proposed matches, is stopped for the rows nobody chose yet, chooses them, and submits.
axe checks every page reached.
"""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from school_changes.models import StaffMatch, StaffMatchList
from school_changes.services import staff_matches as mergers
from tests.factories import PASSWORD
from tests.school_changes.merger_builders import Staff, merger_of

from .pages import NoticePage, ReviewPage, SignInPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def merger(local_authorities):
    merger = merger_of(
        [
            [Staff("sian", "Siân", "Jones", date(1980, 2, 11))],
            [
                Staff("huw", "Huw", "Price", date(1985, 1, 1)),
                Staff("gareth", "Gareth", "Morgan", date(1970, 1, 1)),
                Staff("rhys1", "Rhys", "Hughes"),
                Staff("rhys2", "Rhys", "Hughes"),
            ],
        ],
        [
            Staff("sian", "Sian", "Jones", date(1980, 2, 11)),
            Staff("huw", "Huw", "Price"),
            Staff("rhys", "Rhys", "Hughes"),
        ],
    )
    mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)
    return merger


def test_the_officer_reviews_doubtful_rows_and_submits(page: Page, server_url, merger):
    sign_in = SignInPage(page, server_url).goto()
    sign_in.sign_in(merger.officer.username, PASSWORD)

    notice = NoticePage(page, server_url, merger.notice.pk).goto().verify()
    notice.main.get_by_role("link", name="Review the staff matches").click()
    review = ReviewPage(page, server_url).verify()

    huw = merger.accounts["huw"]
    rhys1, rhys2 = merger.accounts["rhys1"], merger.accounts["rhys2"]
    # Sure and no-match rows start chosen; the doubtful row and the clash wait for a person.
    sian_record = merger.records["sian"]
    expect(
        review.row(merger.accounts["sian"].username).get_by_label(
            f"Sian Jones, staff code {sian_record.staff_code}"
        )
    ).to_be_checked()
    expect(
        review.row(merger.accounts["gareth"].username).get_by_label("Do not move this account")
    ).to_be_checked()
    expect(review.row(huw.username).get_by_role("radio", checked=True)).to_have_count(0)
    expect(review.row(huw.username)).to_contain_text("only the name matches")

    review.submit()
    expect(page).to_have_title(re.compile(r"^Error: Staff account matches"))
    expect(review.error_summary).to_contain_text(
        f"Choose a staff record for {huw.username}, or Do not move this account"
    )
    review.verify()
    review.error_summary.get_by_role("link", name=re.compile(re.escape(huw.username))).click()
    expect(review.row(huw.username).get_by_role("radio").first).to_be_focused()

    code = {key: merger.records[key].staff_code for key in ("huw", "rhys")}
    review.choose(huw.username, f"Huw Price, staff code {code['huw']}")
    review.choose(rhys1.username, f"Rhys Hughes, staff code {code['rhys']}")
    review.choose(rhys2.username, f"Rhys Hughes, staff code {code['rhys']}")
    review.submit()
    expect(review.error_summary).to_contain_text(
        f"{rhys1.username} and {rhys2.username} are both matched to Rhys Hughes"
    )
    review.verify()

    review.choose(rhys2.username, "Do not move this account")
    review.submit()
    expect(review.main).to_contain_text("accounts move, with their usernames")
    review.confirm_submit()
    expect(page.get_by_role("alert")).to_contain_text("You have submitted the matches")
    expect(review.main).to_contain_text("Waiting for the Hwb team's approval")
    review.verify()

    match_list = StaffMatchList.objects.get(notice=merger.notice)
    assert match_list.status == "submitted"
    assert StaffMatch.objects.get(account=huw).record == merger.records["huw"]
    assert StaffMatch.objects.get(account=rhys2).decision == "rejected"


def test_the_progress_updates_in_place_without_reloading(page: Page, server_url, merger):
    """WCAG 2.2.2: while accounts move, the figures change in their status region; the page is
    never reloaded on a timer, and when the job finishes it offers the result as a link."""
    from django.utils import timezone

    StaffMatchList.objects.update(status="approved", moved=0, skipped=0, to_move=4)
    sign_in = SignInPage(page, server_url).goto()
    sign_in.sign_in(merger.officer.username, PASSWORD)
    from django.urls import reverse

    page.goto(server_url + reverse("mergers:review", args=[merger.notice.pk]))
    region = page.locator("#move-progress")
    expect(region).to_contain_text("0 of 4 accounts done so far")
    page.evaluate("window.hwbNotReloaded = true")

    StaffMatchList.objects.update(moved=3)  # the worker at work
    expect(region).to_contain_text("3 of 4 accounts done so far", timeout=9_000)
    StaffMatchList.objects.update(status="completed", moved=4, finished_at=timezone.now())
    expect(region.get_by_role("link")).to_have_text(
        "The accounts have all moved: show the result", timeout=9_000
    )
    assert page.evaluate("window.hwbNotReloaded") is True
