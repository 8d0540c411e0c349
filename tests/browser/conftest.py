"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server answers from its own thread, so everything here uses a transactional
database (data committed where the server can see it) and builds its own people: the
non-transactional fixtures in tests/conftest.py are not used.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told this is safe (it is: the loop is Playwright's own).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from accounts.models import User  # noqa: E402
from schools.identifiers import WELSH_LOCAL_AUTHORITIES  # noqa: E402
from schools.models import LocalAuthority, School  # noqa: E402
from tests.factories import SchoolFactory, make_account, make_champion  # noqa: E402
from tests.services import require  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session", autouse=True)
def chromium_available():
    """Debian's Chromium: a missing one skips the journeys, except in CI, where it fails them."""
    usable = CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)
    require(usable, str(CHROMIUM), "install chromium: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_available):
    return {
        **browser_type_launch_args,
        "executable_path": str(chromium_available),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A fixed Accept-Language: English pages unless a journey switches to Welsh.
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture
def page(page):
    # Fail fast: a missing element should not hold a journey for Playwright's 30 s default.
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(10_000)
    return page


@pytest.fixture
def server_url(live_server, transactional_db) -> str:
    return live_server.url


@pytest.fixture
def local_authorities(transactional_db) -> None:
    """The 22 authorities of the data migration, which each transactional test's flush removes."""
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )


@pytest.fixture
def llanberis(local_authorities) -> School:
    return SchoolFactory(
        dfes_number="6612001",
        name_en="Llanberis Primary School",
        name_cy="Ysgol Gynradd Llanberis",
    )


@pytest.fixture
def staff(llanberis) -> User:
    return make_account(school=llanberis, first_name="Siân", last_name="Jones")


@pytest.fixture
def champion(llanberis) -> User:
    return make_champion(llanberis)


@pytest.fixture
def colleagues(llanberis) -> list[User]:
    """Other people at the school, so that a search has something to leave out."""
    return [
        make_account(school=llanberis, first_name="Sarah", last_name="Jones"),
        make_account(school=llanberis, first_name="Gwenllian", last_name="Ellis"),
    ]
