"""Passwords in bulk: the accounts a search finds get one-time passwords in one go, shown once on
a printable sheet; the champion's own and senior accounts are left out; everything audited."""

import re

from django.test import Client

from accounts.models import AuditEntry, User
from provisioning.services.runs import snapshot_import
from tests.provisioning.builders import learner_record, snapshot

RESET = "/user-management/accounts/reset-passwords/"
PRODUCTION_HASHERS = ["accounts.hashers.OwaspArgon2PasswordHasher"]
SHEET = "/user-management/accounts/credentials/"


def page(response) -> str:
    return " ".join(response.content.decode().split())


def _roll(school, *year_groups) -> list[User]:
    """Learners on the school's roll (through provisioning, as the MIS sends them)."""
    records = [
        learner_record(forename=f"L{n}", surname="Dysgwr", year_group=year)
        for n, year in enumerate(year_groups)
    ]
    run = snapshot_import(school=school, snapshot=snapshot(school, learners=records))
    return [User.objects.get(username=run.accounts["learners"][r["upn"]]) for r in records]


def test_a_year_of_learners_gets_new_passwords_on_one_sheet_shown_once(
    champion_client, champion, school, headteacher, settings
):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # the one-time hashes are verified as real
    learners = _roll(school, "3", "3", "3", "3", "3")
    asked = page(champion_client.get(RESET, {"kind": "learner"}))
    assert "Reset the passwords of 5 accounts?" in asked
    response = champion_client.post(RESET, {"kind": "learner"})
    assert response.status_code == 302 and response.url == SHEET
    sheet = page(champion_client.get(SHEET))
    assert "5 new passwords" in sheet
    for learner in learners:
        learner.refresh_from_db()
        card = sheet[sheet.index(f">{learner.username}<") :][:300]
        password = re.search(r'hwb-code">([a-z]+-[a-z]+-[a-z]+-\d\d)<', card).group(1)
        assert learner.check_password(password) and learner.must_change_password
    assert AuditEntry.objects.filter(action="account.password_reset").count() == 5
    # Shown once: a refresh shows no password.
    again = page(champion_client.get(SHEET))
    assert "This sheet has been shown" in again and "hwb-code" not in again


def test_primary_learners_get_simple_passwords_secondary_the_full_rule(champion_client, school):
    primary, secondary = _roll(school, "R", "8")
    sheet = page(champion_client.post(RESET, {"kind": "learner"}, follow=True))
    simple = sheet[sheet.index(f">{primary.username}<") :][:300]
    full = sheet[sheet.index(f">{secondary.username}<") :][:300]
    assert re.search(r'hwb-code">[a-z]+-[a-z]+-[a-z]+-\d\d<', simple)
    assert re.search(r'hwb-code">[A-Za-z0-9-]{14}<', full)


def test_a_school_can_let_primary_learners_keep_the_password_issued(champion_client, school):
    school.primary_passwords_kept = True
    school.save()
    primary, secondary = _roll(school, "2", "9")
    champion_client.post(RESET, {"kind": "learner"})
    primary.refresh_from_db()
    secondary.refresh_from_db()
    assert not primary.must_change_password
    assert secondary.must_change_password  # secondary learners always choose their own


def test_the_champions_own_and_senior_accounts_are_left_out(
    champion_client, champion, headteacher, staff_member, settings
):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    before = {u.pk: User.objects.get(pk=u.pk).password for u in (champion, headteacher)}
    response = champion_client.post(RESET, {"kind": "staff"}, follow=True)
    body = page(response)
    assert "2 accounts were left out" in body
    for pk, password in before.items():
        assert User.objects.get(pk=pk).password == password
    member = User.objects.get(pk=staff_member.pk)
    assert member.must_change_password
    card = body[body.index(f">{member.username}<") :][:300]
    password = re.search(r'hwb-code">([A-Za-z0-9-]{14})<', card).group(1)
    # The holder signs in with it and is asked to choose a new password; it is rehashed at
    # full cost on the way in.
    holder = Client()
    assert (
        holder.post("/sign-in/", {"username": member.username, "password": password}).status_code
        == 302
    )
    member.refresh_from_db()
    assert member.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_reset_signs_the_holders_out(champion_client, school, staff_member):
    from tests.conftest import sign_in

    holder = sign_in(Client(), staff_member)
    assert holder.get("/user-management/my-profile/").status_code == 200
    champion_client.post(RESET, {"q": staff_member.username})
    assert holder.get("/user-management/my-profile/").status_code == 302
