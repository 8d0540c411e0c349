"""A school's account activity: the audit log of its accounts in words, for its headteacher and
digital champions only, filterable, at a constant number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import audit_record
from tests.conftest import sign_in
from tests.factories import make_account

ACTIVITY = "/user-management/activity/"


def page(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_reset_shows_who_did_what_to_which_account(champion_client, champion, staff_member):
    champion_client.post(
        f"/user-management/accounts/{staff_member.pk}/reset-password/", {"form_key": "k" * 32}
    )
    body = page(champion_client.get(ACTIVITY))
    assert "Your school's account activity</h1>" in body
    row = body[body.index("Password reset") :]
    row = row[: row.index("</tr>")]
    assert staff_member.username in row and champion.username in row
    assert "198.51" not in body and "127.0.0.1" not in body  # never an address


def test_the_filter_and_search_narrow_it_and_other_schools_never_show(
    champion_client, champion, staff_member, other_school_staff
):
    audit_record(
        actor=None, action="account.created", target=staff_member, school=staff_member.school
    )
    audit_record(
        actor=None,
        action="account.created",
        target=other_school_staff,
        school=other_school_staff.school,
    )
    everything = page(champion_client.get(ACTIVITY))
    assert "Account created" in everything and other_school_staff.username not in everything
    passwords = page(champion_client.get(ACTIVITY, {"group": "passwords"}))
    assert "Account created" not in passwords
    roles = page(champion_client.get(ACTIVITY, {"group": "roles"}))
    assert "Role given (Digital champion)" in roles  # the fixture's own champion role
    found = page(champion_client.get(ACTIVITY, {"q": staff_member.username.upper()}))
    assert "Account created" in found and "Role given" not in found


def test_the_headteacher_reads_it_and_other_staff_do_not(client, headteacher, staff_member):
    sign_in(client, headteacher)
    assert client.get(ACTIVITY).status_code == 200
    assert ACTIVITY in page(client.get("/user-management/"))
    client.logout()
    sign_in(client, staff_member)
    assert client.get(ACTIVITY).status_code == 404
    assert ACTIVITY not in page(client.get("/user-management/"))


def test_the_page_costs_the_same_queries_for_5_and_500_entries(champion_client, school):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert champion_client.get(ACTIVITY).status_code == 200
        return len(captured)

    for _ in range(5):
        audit_record(
            actor=None, action="account.created", target=make_account(school=school), school=school
        )
    few = queries()
    account = make_account(school=school)
    for _ in range(495):
        audit_record(actor=None, action="account.updated", target=account, school=school)
    assert queries() == few


def test_renames_and_downloads_are_on_it_in_words(champion_client, champion, staff_member):
    champion_client.post(
        f"/user-management/accounts/{staff_member.pk}/name/",
        {"first_name": "Siân", "last_name": "Huws", "reason": "marriage", "new_username": "on"},
    )
    b"".join(champion_client.get("/user-management/accounts/download.csv").streaming_content)
    accounts = page(champion_client.get(ACTIVITY, {"group": "accounts"}))
    row = accounts[accounts.index("Name changed") :]
    assert "huwss" in row[: row.index("</tr>")]
    downloads = page(champion_client.get(ACTIVITY, {"group": "downloads"}))
    assert "Account list downloaded" in downloads and champion.username in downloads
    assert "Name changed" not in downloads
