"""The signed-in pages cost the same SQL statements however big the school grows, and a member of
staff's pages read no more than they show (bench/pages.py measures them under load)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import sign_in
from tests.factories import make_account


def _statements(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def _grow(school, count: int, name: str) -> None:
    for number in range(count):
        make_account(school=school, first_name=f"{name}{number}", last_name="Staff", password=None)


def test_the_staff_dashboard_and_your_details_cost_the_same_for_any_school(
    client, school, staff_member
):
    sign_in(client, staff_member)
    _grow(school, 5, "Five")
    small = {
        path: _statements(client, path)
        for path in ("/user-management/", "/user-management/my-profile/")
    }
    _grow(school, 45, "Fifty")
    big = {path: _statements(client, path) for path in small}
    assert big == small
    # The session, the account with its school, its roles, the page's own reads, and the
    # session's sliding User management window written back (BEGIN, UPDATE, COMMIT).
    assert small["/user-management/"] <= 8
    assert small["/user-management/my-profile/"] <= 9


def test_the_champions_dashboard_costs_the_same_for_any_school(client, school, champion):
    sign_in(client, champion)
    _grow(school, 5, "Five")
    small = _statements(client, "/user-management/")
    _grow(school, 45, "Fifty")
    assert _statements(client, "/user-management/") == small
