"""Personas and shared fixtures: two schools in different authorities and their people."""

import pytest
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import SchoolRole, User
from accounts.reauth import SESSION_KEY
from accounts.second_factor import second_factor_required

from .factories import PASSWORD, SchoolFactory, make_account, make_champion
from .second_factor import give_second_factor, next_code
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
    """Sign in through the real sign-in page; optionally pass User management's second sign-in.

    Accounts that need two-step verification give a code from their (test) app at both.
    """
    needs_code = second_factor_required(user)
    response = client.post("/sign-in/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    if needs_code:
        response = client.post("/second-factor/", {"code": next_code(user)})
        assert response.status_code == 302, "the security code was refused"
    if reauthenticated:
        answers = {"username": user.username, "password": PASSWORD}
        if needs_code:
            answers["code"] = next_code(user)
        response = client.post("/user-management/sign-in/", answers)
        assert response.status_code == 302, "re-authentication failed"
        assert SESSION_KEY in client.session
    return client


def _force_login_passes_second_factor(sender, request, user, **kwargs):
    """`client.force_login` skips the sign-in pages, so it skips the second factor too: its
    session counts as verified (it calls login() with a bare HttpRequest, never a real one)."""
    if type(request) is HttpRequest and second_factor_required(user):
        request.session[DEVICE_ID_SESSION_KEY] = give_second_factor(user).persistent_id


user_logged_in.connect(_force_login_passes_second_factor, dispatch_uid="tests-force-login-otp")


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


@pytest.fixture(autouse=True)
def _default_language():
    """A Welsh page requested by a test leaves Welsh active in the test's thread (the locale
    middleware activates it for the request): every test starts and ends in the default."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
