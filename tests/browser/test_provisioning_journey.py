"""A digital champion reads their school's Provisioning page in Chromium, in English and Welsh,
checked with axe on every page the journey reaches."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from provisioning.services.runs import snapshot_import
from tests.factories import PASSWORD, SchoolFactory, make_champion, make_upn
from tests.provisioning.builders import learner_record, snapshot, staff_record

from .pages import (
    ChampionDashboardPage,
    Header,
    HomePage,
    ProvisioningPage,
    ProvisioningRunPage,
    ReauthPage,
    SignInPage,
    check_accessibility,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def welsh(text: str) -> str:
    """The Welsh for an English string, or the string itself while it is untranslated."""
    with translation.override("cy"):
        return translation.gettext(text)


@pytest.fixture
def sync_with_an_error(llanberis):
    """Last night's sync: one learner whose UPN was mistyped in the MIS, and one good one."""
    good, mistyped = make_upn(), make_upn()
    mistyped = ("B" if mistyped[0] != "B" else "C") + mistyped[1:]
    run = snapshot_import(
        school=llanberis,
        snapshot=snapshot(
            llanberis,
            learners=[
                learner_record(good, forename="Elin", surname="Roberts"),
                learner_record(mistyped, forename="Ffion", surname="Hughes"),
            ],
            staff=[staff_record("HEA", forename="Gwenllian", surname="Ellis", is_headteacher=True)],
        ),
    )
    assert run.status == "succeeded" and len(run.errors) == 1
    return run, mistyped


def test_champion_finds_a_record_to_correct_and_reads_it_in_welsh(
    page: Page, server_url, champion, sync_with_an_error
):
    run, mistyped = sync_with_an_error
    SignInPage(page, server_url).goto().verify().sign_in(champion.username, PASSWORD)
    HomePage(page, server_url, first_name="Dafydd").verify()

    # User management asks for the password again before the champion's tools.
    Header(page).user_management()
    ReauthPage(page, server_url).verify().sign_in(champion.username, PASSWORD)
    ChampionDashboardPage(page, server_url).verify().provisioning()

    provisioning = ProvisioningPage(page, server_url).verify()
    expect(page).to_have_url(provisioning.url)
    expect(provisioning.main).to_contain_text("Llanberis Primary School")
    ffion = provisioning.problem_row("Ffion Hughes")
    expect(ffion).to_have_count(1)
    expect(ffion).to_contain_text(f"UPN {mistyped}")
    expect(ffion).to_contain_text("The UPN has a typing mistake")
    expect(ffion).to_contain_text("Your MIS administrator should correct this in the MIS")
    expect(provisioning.syncs.get_by_role("row")).to_have_count(2)  # the header and one sync
    expect(provisioning.syncs).to_contain_text("Succeeded")

    provisioning.open_latest_sync()
    sync = ProvisioningRunPage(page, server_url).verify()
    expect(page).to_have_url(re.compile(rf"/user-management/provisioning/runs/{run.pk}/$"))
    expect(sync.value("Status")).to_contain_text("Succeeded")
    expect(sync.value("Dry run")).to_have_text("No")
    expect(sync.record_errors).to_contain_text("Ffion Hughes")
    expect(sync.record_errors).not_to_contain_text("Elin Roberts")
    expect(sync.main.get_by_role("table", name="What this sync changed")).to_contain_text(
        "New accounts"
    )

    # The same page in Welsh: the switch comes back to it, and it is still accessible.
    sync.header.switch_to_welsh()
    expect(page).to_have_url(re.compile(rf"/runs/{run.pk}/$"))
    sync.expect_language("cy")
    expect(sync.main).to_contain_text("Ysgol Gynradd Llanberis")
    expect(sync.main).to_contain_text("Ffion Hughes")
    check_accessibility(page)

    page.get_by_role("link", name=welsh("Back to Provisioning"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(welsh("Provisioning"))
    provisioning.expect_language("cy")
    expect(provisioning.main).to_contain_text(f"UPN {mistyped}")
    check_accessibility(page)


def test_a_champion_reads_that_a_learners_move_is_held_in_english_and_welsh(
    page: Page, server_url, llanberis
):
    """Brynrefail's MIS sends a leaver of Llanberis's UPN with another child's name and date of
    birth: the account stays, and Brynrefail's champion is asked to check the UPN."""
    brynrefail = SchoolFactory(
        dfes_number="6614005", name_en="Ysgol Brynrefail", name_cy="Ysgol Brynrefail"
    )
    champion = make_champion(brynrefail, first_name="Bethan", last_name="Morgan")
    now = timezone.now()
    elin = learner_record(forename="Elin", surname="Roberts", date_of_birth="2015-04-17")
    left = str(timezone.localdate() - timedelta(days=1))
    for hours, leaving in ((3, None), (2, left)):
        snapshot_import(
            school=llanberis,
            snapshot=snapshot(
                llanberis,
                learners=[dict(elin, leaving_date=leaving)],
                extracted_at=now - timedelta(hours=hours),
            ),
        )
    other_child = dict(
        elin, forename="Osian", surname="Pritchard", date_of_birth="2014-01-02", year_group="7"
    )
    run = snapshot_import(school=brynrefail, snapshot=snapshot(brynrefail, learners=[other_child]))
    assert [warning["code"] for warning in run.warnings] == ["move_held"]

    SignInPage(page, server_url).goto().verify().sign_in(champion.username, PASSWORD)
    HomePage(page, server_url, first_name="Bethan").verify()
    Header(page).user_management()
    ReauthPage(page, server_url).verify().sign_in(champion.username, PASSWORD)
    ChampionDashboardPage(page, server_url).verify().provisioning()

    provisioning = ProvisioningPage(page, server_url).verify()
    expect(provisioning.held_moves).to_contain_text("Osian Pritchard")
    expect(provisioning.held_moves).to_contain_text("not moved to your school")
    expect(provisioning.main).not_to_contain_text("Elin")
    expect(provisioning.main).not_to_contain_text("Llanberis")
    check_accessibility(page)

    provisioning.header.switch_to_welsh()
    provisioning.expect_language("cy")
    expect(provisioning.main).to_contain_text(
        welsh("Learners whose move between schools the Hwb team is checking")
    )
    expect(provisioning.main).to_contain_text(welsh("At another school: not moved to your school"))
    check_accessibility(page)
