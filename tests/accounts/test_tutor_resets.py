"""A teacher resets the passwords of the learners in the registration group their school's MIS says
they tutor (contract 1.1), and no one else's; the sheet's passwords download once as CSV after an
acknowledgement; a champion chooses whether primary learners keep an issued password."""

import csv
import io
import re

import pytest
from django.test import Client

from accounts.models import AuditEntry, User
from provisioning.services.runs import snapshot_import
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.provisioning.builders import learner_record, snapshot, staff_record
from tests.second_factor import give_second_factor

pytestmark = pytest.mark.django_db
GROUP_PAGE = "/user-management/registration-group/"
SHEET = "/user-management/accounts/credentials/"
DOWNLOAD = "/user-management/accounts/credentials/download/"
PRODUCTION_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",  # the fixtures' passwords
]


def page(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def roll(school):
    """Year 4 in two groups, a tutor for 4A and a teacher with no group, from the school's MIS."""
    learners = [
        learner_record(forename=name, surname="Parri", year_group="4", registration_group=group)
        for name, group in [("Alaw", "4A"), ("Bedwyr", "4A"), ("Cadi", "4B")]
    ]
    staff = [
        staff_record("TUT", forename="Gwen", surname="Tiwtor", registration_group="4A"),
        staff_record("NOG", forename="Dai", surname="Dim"),
    ]
    run = snapshot_import(school=school, snapshot=snapshot(school, learners=learners, staff=staff))
    accounts = {
        record["forename"]: User.objects.get(username=run.accounts["learners"][record["upn"]])
        for record in learners
    }
    for code in ("TUT", "NOG"):
        member = User.objects.get(username=run.accounts["staff"][code])
        member.set_password(PASSWORD)
        member.save()
        give_second_factor(member)
        accounts[code] = member
    return accounts


def test_a_tutor_resets_chosen_learners_of_their_group(roll, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # the one-time hashes are checked as real
    tutor = sign_in(Client(), roll["TUT"])
    assert "Your registration group's passwords" in page(tutor.get("/user-management/"))
    listed = page(tutor.get(GROUP_PAGE))
    assert "Your registration group: 4A" in listed
    assert roll["Alaw"].username in listed and roll["Bedwyr"].username in listed
    assert roll["Cadi"].username not in listed

    response = tutor.post(GROUP_PAGE, {"account": [roll["Alaw"].pk]})
    assert response.status_code == 302 and response.url == SHEET
    sheet = page(tutor.get(SHEET))
    assert "1 new password" in sheet
    password = re.search(r'hwb-code">([a-z]+-[a-z]+-[a-z]+-\d\d)<', sheet).group(1)
    alaw = User.objects.get(pk=roll["Alaw"].pk)
    assert alaw.check_password(password) and alaw.must_change_password
    assert not User.objects.get(pk=roll["Bedwyr"].pk).must_change_password
    entry = AuditEntry.objects.get(action="account.password_reset", target_id=str(alaw.pk))
    assert entry.actor_id == roll["TUT"].pk


def test_a_tutor_cannot_reach_a_learner_outside_their_group(roll):
    tutor = sign_in(Client(), roll["TUT"])
    # A forged form naming another group's learner resets nothing.
    response = tutor.post(GROUP_PAGE, {"account": [roll["Cadi"].pk]})
    assert response.status_code == 400
    assert "Choose the learners whose passwords to reset" in page(response)
    assert not User.objects.get(pk=roll["Cadi"].pk).must_change_password
    # Nor the champion's pages.
    assert tutor.get("/user-management/accounts/").status_code == 404
    assert tutor.get(f"/user-management/accounts/{roll['Cadi'].pk}/").status_code == 404


def test_a_teacher_with_no_group_has_no_group_page(roll):
    teacher = sign_in(Client(), roll["NOG"])
    assert teacher.get(GROUP_PAGE).status_code == 404
    assert "Your registration group's passwords" not in page(teacher.get("/user-management/"))


def test_a_tutor_who_stops_tutoring_loses_the_group_at_the_next_sync(school, roll):
    staff = [staff_record("TUT", forename="Gwen", surname="Tiwtor", registration_group=None)]
    snapshot_import(school=school, snapshot=snapshot(school, learners=[], staff=staff))
    tutor = sign_in(Client(), roll["TUT"])
    assert tutor.get(GROUP_PAGE).status_code == 404


def test_the_passwords_download_once_after_an_acknowledgement(
    champion_client, roll, champion, settings
):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    champion_client.post("/user-management/accounts/reset-passwords/", {"group": "4A"})
    assert "Download these passwords as a CSV file" in page(champion_client.get(SHEET))

    asked = page(champion_client.get(DOWNLOAD))
    assert "The file holds 2 names, usernames and one-time passwords." in asked
    refused = champion_client.post(DOWNLOAD, {})
    assert refused.status_code == 400
    assert "Confirm that you will keep the file safe and delete it today" in page(refused)

    response = champion_client.post(DOWNLOAD, {"acknowledged": "on"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode()[1:])))
    assert rows[0] == ["Name", "Hwb username", "One-time password"]
    by_username = {row[1]: row[2] for row in rows[1:]}
    assert set(by_username) == {roll["Alaw"].username, roll["Bedwyr"].username}
    assert User.objects.get(pk=roll["Alaw"].pk).check_password(by_username[roll["Alaw"].username])
    entry = AuditEntry.objects.get(action="credentials.downloaded")
    assert entry.actor_id == champion.pk and entry.details["count"] == 2
    # Once only.
    again = champion_client.post(DOWNLOAD, {"acknowledged": "on"})
    assert again.status_code == 410 and "no longer available" in page(again)


def test_a_champion_lets_primary_learners_keep_their_passwords(champion_client, school, roll):
    response = champion_client.post(
        "/user-management/accounts/primary-passwords/", {"kept": "on"}, follow=True
    )
    assert "Primary learners now keep the password you issue" in page(response)
    school.refresh_from_db()
    assert school.primary_passwords_kept
    assert AuditEntry.objects.filter(action="school.primary_passwords_kept").count() == 1
    sheet = page(
        champion_client.post(
            "/user-management/accounts/reset-passwords/", {"group": "4B"}, follow=True
        )
    )
    assert "and choose your own password" not in sheet
    assert not User.objects.get(pk=roll["Cadi"].pk).must_change_password


def test_only_a_champion_chooses_for_the_school(school, roll):
    tutor = sign_in(Client(), roll["TUT"])
    assert (
        tutor.post("/user-management/accounts/primary-passwords/", {"kept": "on"}).status_code
        == 404
    )
    school.refresh_from_db()
    assert not school.primary_passwords_kept
