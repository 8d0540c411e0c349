"""One open request to move an account, whichever route asks: the claims below both routes."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import AccountMoveClaim
from accounts.selectors import account_move_claim_route
from accounts.services import (
    AccountClaimed,
    account_move_claim_close,
    account_move_claim_open,
)
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority
from tests.factories import SchoolFactory
from tests.services import require
from tests.transfers.builders import staff_of

Route = AccountMoveClaim.Route


@pytest.fixture
def three(school, other_school):
    return (
        staff_of(school, first_name="Siân", last_name="Jones"),
        staff_of(other_school, first_name="Siân", last_name="Jones"),
        staff_of(other_school, first_name="Rhys", last_name="Evans"),
    )


def test_a_second_route_cannot_claim_an_account_already_claimed(three):
    old, new, colleague = three
    account_move_claim_open(account=old, requester=new, route=Route.TRANSFER)
    with pytest.raises(AccountClaimed) as claimed:
        account_move_claim_open(account=old, requester=colleague, route=Route.SERVICE_DESK)
    assert claimed.value.route == Route.TRANSFER
    assert AccountMoveClaim.objects.filter(closed_at__isnull=True).count() == 1


def test_a_requester_holds_one_open_claim(three):
    old, new, colleague = three
    account_move_claim_open(account=old, requester=new, route=Route.SERVICE_DESK)
    with pytest.raises(AccountClaimed):
        account_move_claim_open(account=colleague, requester=new, route=Route.TRANSFER)


def test_a_closed_claim_frees_the_account_for_another_route(three):
    old, new, colleague = three
    account_move_claim_open(account=old, requester=new, route=Route.TRANSFER)
    assert account_move_claim_route(accounts=[old], exclude_route=Route.SERVICE_DESK) == "transfer"
    assert account_move_claim_close(account=old, requester=new, route=Route.TRANSFER) == 1
    account_move_claim_open(account=old, requester=colleague, route=Route.SERVICE_DESK)
    assert account_move_claim_route(accounts=[old], exclude_route=Route.SERVICE_DESK) is None


def test_the_database_refuses_a_second_open_claim_whatever_the_code_checks(three):
    old, new, colleague = three
    AccountMoveClaim.objects.create(account=old, requester=new, route=Route.TRANSFER)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountMoveClaim.objects.create(account=old, requester=colleague, route=Route.SERVICE_DESK)


@pytest.fixture
def committed_schools(transactional_db):
    """Two schools in a test whose data is committed (the racing threads must see it)."""
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )
    return SchoolFactory(dfes_number="6612001"), SchoolFactory(dfes_number="6814004")


def test_two_routes_racing_for_one_account_leave_one_claim(committed_schools):
    require(connection.vendor == "postgresql", "PostgreSQL", "set DATABASE_URL to PostgreSQL")
    school, other_school = committed_schools
    old = staff_of(school, first_name="Siân", last_name="Jones")
    requesters = [
        staff_of(other_school, first_name="Siân", last_name="Jones"),
        staff_of(other_school, first_name="Rhys", last_name="Evans"),
    ]
    start = threading.Barrier(2)
    outcomes = []

    def claim(requester, route):
        try:
            start.wait()
            with transaction.atomic():
                account_move_claim_open(account=old, requester=requester, route=route)
            outcomes.append("claimed")
        except AccountClaimed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(requesters[0], Route.TRANSFER)),
        threading.Thread(target=claim, args=(requesters[1], Route.SERVICE_DESK)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["claimed", "refused"]
    assert AccountMoveClaim.objects.filter(account=old, closed_at__isnull=True).count() == 1
