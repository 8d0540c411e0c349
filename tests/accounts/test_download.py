"""The champion's account list as CSV: what the list shows, every row the search finds, no cell a
spreadsheet runs as a formula, and every download in the audit log."""

import csv
import io

from accounts.models import AuditEntry
from tests.conftest import sign_in
from tests.factories import make_account

DOWNLOAD = "/user-management/accounts/download.csv"


def rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads ŵ and ŷ right
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_download_has_the_lists_columns_and_every_account_found(
    champion_client, champion, staff_member, learner, headteacher, other_school_staff, settings
):
    settings.HWB_PAGE_SIZE = 2  # more accounts than one page: the file has them all
    make_account(school=champion.school, first_name="Llŷr", last_name="Ŵyn")
    response = champion_client.get(DOWNLOAD)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="hwb-accounts-' in response["Content-Disposition"]
    header, *people = rows(response)
    assert header == [
        "Last name",
        "First name",
        "Hwb username",
        "Kind",
        "Roles",
        "Year group",
        "Registration group",
        "Status",
        "Password",
        "Last sign-in",
        "Expires",
    ]
    usernames = {row[2] for row in people}
    assert {champion.username, staff_member.username, learner.username} <= usernames
    assert other_school_staff.username not in usernames
    assert next(row[:2] for row in people if row[0] == "Ŵyn") == ["Ŵyn", "Llŷr"]
    head = next(row for row in people if row[2] == headteacher.username)
    assert head[4] == "Headteacher" and head[7] == "Active"
    assert head[8] == "Chosen by its holder"
    # The search and filter of the list apply.
    header, *learners = rows(champion_client.get(DOWNLOAD, {"kind": "learner"}))
    assert [row[2] for row in learners] == [learner.username]


def test_no_cell_is_a_formula(champion_client, champion):
    for number, name in enumerate(['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)"]):
        make_account(school=champion.school, first_name=name, last_name=f"Evil{number}")
    _header, *people = rows(champion_client.get(DOWNLOAD, {"q": "evil"}))
    assert len(people) == 4
    for row in people:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@")), row
    assert '\'=HYPERLINK("http://evil")' in [row[1] for row in people]


def test_each_download_is_audited_and_needs_user_managements_sign_in(champion_client, champion):
    from django.test import Client

    champion_client.get(DOWNLOAD, {"kind": "staff"})
    entry = AuditEntry.objects.get(action="accounts.downloaded")
    assert entry.actor == champion and entry.school == champion.school
    assert entry.details["kind"] == "staff" and entry.details["count"] >= 1
    response = sign_in(Client(), champion, reauthenticated=False).get(DOWNLOAD)
    assert response.status_code == 302 and "/user-management/sign-in/" in response.url


def test_someone_who_is_not_a_champion_gets_404(client, staff_member):
    sign_in(client, staff_member)
    assert client.get(DOWNLOAD).status_code == 404
    assert not AuditEntry.objects.filter(action="accounts.downloaded").exists()
