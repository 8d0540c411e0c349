"""A teacher resets the passwords of learners in the registration group their school's MIS says
they tutor, in Chromium, in English and in Welsh: the group page (an empty choice explained),
the credential sheet, and its CSV download behind an acknowledgement. The champion finds the
same group with the list's filter. axe and the 375 px check on every page."""

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from provisioning.services.runs import snapshot_import
from tests.factories import PASSWORD
from tests.provisioning.builders import learner_record, snapshot, staff_record
from tests.second_factor import give_second_factor

from .pages import ENGLISH, WELSH, Reauth, SignIn, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tutor_and_group(llanberis):
    """From the school's MIS (contract 1.1): Gwen tutors 4A, which has Alaw and Bedwyr."""
    learners = [
        learner_record(forename=name, surname="Parri", year_group="4", registration_group=group)
        for name, group in [("Alaw", "4A"), ("Bedwyr", "4A"), ("Cadi", "4B")]
    ]
    tutor = staff_record("GTI", forename="Gwen", surname="Tiwtor", registration_group="4A")
    run = snapshot_import(
        school=llanberis, snapshot=snapshot(llanberis, learners=learners, staff=[tutor])
    )
    gwen = User.objects.get(username=run.accounts["staff"]["GTI"])
    gwen.set_password(PASSWORD)
    gwen.save()
    give_second_factor(gwen)
    by_name = {
        record["forename"]: User.objects.get(username=run.accounts["learners"][record["upn"]])
        for record in learners
    }
    return gwen, by_name


@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_a_tutor_resets_their_groups_passwords(page: Page, server_url, tutor_and_group, words):
    gwen, learners = tutor_and_group
    SignIn(page, server_url).goto().verify()
    if words is WELSH:
        SignIn(page, server_url).header.switch_to_welsh()
    SignIn(page, server_url, words).verify().sign_in(gwen.username)
    page.goto(server_url + "/user-management/")
    Reauth(page, server_url, words).verify().sign_in(gwen.username)
    page.get_by_role("link", name=words("Your registration group's passwords")).click()
    check_accessibility(page)
    main = page.get_by_role("main")
    expect(main).to_contain_text(learners["Alaw"].username)
    expect(main).not_to_contain_text(learners["Cadi"].username)

    # Nothing chosen: the error summary says so, and nothing is reset.
    button = main.get_by_role("button", name=words("Reset the passwords of the chosen learners"))
    button.click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(words("Choose the learners whose passwords to reset"))
    check_accessibility(page)

    page.get_by_role("main").get_by_label(learners["Alaw"].username, exact=False).check()
    page.get_by_role("main").get_by_role(
        "button", name=words("Reset the passwords of the chosen learners")
    ).click()
    expect(page.locator(".hwb-card")).to_have_count(1)
    expect(page.locator(".hwb-card")).to_contain_text(learners["Alaw"].username)
    check_accessibility(page)

    # The CSV, once, after the acknowledgement.
    page.get_by_role("link", name=words("Download these passwords as a CSV file")).click()
    check_accessibility(page)
    download_button = page.get_by_role("main").get_by_role(
        "button", name=words("Download the CSV file")
    )
    download_button.click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        words("Confirm that you will keep the file safe and delete it today")
    )
    check_accessibility(page)
    page.get_by_role("main").get_by_role("checkbox").check()
    with page.expect_download() as download:
        page.get_by_role("main").get_by_role("button", name=words("Download the CSV file")).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[1] for row in rows[1:]] == [learners["Alaw"].username]
    assert User.objects.get(pk=learners["Alaw"].pk).must_change_password
    assert not User.objects.get(pk=learners["Bedwyr"].pk).must_change_password


def test_the_champion_filters_the_list_by_registration_group(
    page: Page, server_url, champion, tutor_and_group
):
    _gwen, learners = tutor_and_group
    SignIn(page, server_url).goto().verify().sign_in(champion.username)
    page.goto(server_url + "/user-management/accounts/")
    Reauth(page, server_url, ENGLISH).verify().sign_in(champion.username)
    main = page.get_by_role("main")
    main.get_by_label("Registration group", exact=True).select_option("4B")
    main.get_by_role("button", name="Search").click()
    check_accessibility(page)
    table = page.get_by_role("table")
    expect(table).to_contain_text(learners["Cadi"].username)
    expect(table).to_contain_text("Year 4, 4B")
    expect(table).not_to_contain_text(learners["Alaw"].username)
