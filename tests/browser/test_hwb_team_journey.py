"""The Hwb team in Chromium: signed in (with two-step verification), the admin's work queue
shows a merger's staff matches waiting; Approve and move accounts asks first, then approves; the
work queue in Welsh too. (Django's own admin pages are not ours to check with axe.)"""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from school_changes.models import StaffMatchList
from school_changes.selectors.staff_matches import list_version
from school_changes.services import staff_matches as mergers
from tests.factories import PASSWORD
from tests.school_changes.merger_builders import Staff, merger_of

from .pages import SignIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submitted(local_authorities):
    merger = merger_of(
        [[Staff("huw", "Huw", "Price", date(1985, 1, 1))]],
        [Staff("huw", "Huw", "Price", date(1985, 1, 1))],
    )
    mergers.staff_matches_propose(notice=merger.notice, actor=merger.officer)
    match_list = StaffMatchList.objects.get(notice=merger.notice)
    mergers.staff_matches_review(
        match_list_id=match_list.pk,
        officer=merger.officer,
        version=list_version(match_list),
        choices={row.pk: row.proposed_record_id for row in match_list.matches.all()},
        submit=True,
    )
    return merger


def test_the_hwb_team_approves_from_the_work_queue(page: Page, server_url, submitted):
    User.objects.create_superuser("hwbadmin", PASSWORD, first_name="Hwb", last_name="Admin")
    SignIn(page, server_url).goto().verify().sign_in("hwbadmin")
    page.goto(server_url + "/admin/")
    page.get_by_role("link", name="Work queue: what waits for the Hwb team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    queue = page.locator("#content-main")
    expect(queue).to_contain_text("Staff matches to approve (1)")
    queue.get_by_role("link", name="Staff matches: Merger").click()

    page.get_by_role("link", name="Approve and move accounts").click()
    expect(page.locator("#content-main")).to_contain_text("1 account moves to its new school")
    assert StaffMatchList.objects.get().status == "submitted"  # asked, not done
    page.get_by_role("button", name="Approve and move accounts").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved")
    assert StaffMatchList.objects.get().status in {"approved", "completed"}

    # The work queue in Welsh.
    page.goto(server_url + "/")
    page.get_by_role("button", name="Cymraeg", exact=True).click()
    page.goto(server_url + "/admin/work-queue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rhestr waith")
    expect(page.locator("#content-main")).to_contain_text(
        "Cyfatebiaethau cyfrifon staff i’w cymeradwyo (0)"
    )
