"""Personas and shared fixtures: two schools in different authorities and their people."""

import pytest
from django.test import Client

from accounts.models import SchoolRole, User
from accounts.reauth import SESSION_KEY

from .factories import PASSWORD, SchoolFactory, make_account, make_champion
from .servers import (  # noqa: F401 - production pages need collected files; Redis down
    cache_with_redis_down,
    collected_static,
)
from .workers import (  # noqa: F401 - fixtures for the real-worker and outage tests
    broker_down,
    local_authorities,
    queue,
)


@pytest.fixture
def school(db):
    return SchoolFactory(
        dfes_number="6612001",
        name_en="Llanberis Primary School",
        name_cy="Ysgol Gynradd Llanberis",
    )


@pytest.fixture
def other_school(db):
    return SchoolFactory(
        dfes_number="6814004",
        name_en="Glantaf Secondary School",
        name_cy="Ysgol Uwchradd Glantaf",
        phase="secondary",
    )


@pytest.fixture
def champion(school) -> User:
    return make_champion(school)


@pytest.fixture
def headteacher(school) -> User:
    return make_account(
        school=school,
        first_name="Gwenllian",
        last_name="Ellis",
        roles=(SchoolRole.Role.HEADTEACHER,),
    )


@pytest.fixture
def staff_member(school) -> User:
    return make_account(school=school, first_name="Siân", last_name="Jones")


@pytest.fixture
def learner(school) -> User:
    return make_account(
        school=school,
        kind=User.Kind.LEARNER,
        first_name="Elin",
        last_name="Roberts",
    )


@pytest.fixture
def other_school_staff(other_school) -> User:
    return make_account(school=other_school, first_name="Huw", last_name="Price")


def sign_in(client: Client, user: User, *, reauthenticated: bool = True) -> Client:
    """Sign in through the real sign-in page; optionally pass User management's second sign-in."""
    response = client.post("/sign-in/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    if reauthenticated:
        response = client.post(
            "/user-management/sign-in/", {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, "re-authentication failed"
        assert SESSION_KEY in client.session
    return client


@pytest.fixture
def champion_client(client, champion) -> Client:
    return sign_in(client, champion)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits live in the cache: each test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
