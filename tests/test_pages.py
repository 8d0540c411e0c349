"""Every page: security headers, the language switch, the accessibility statement, error pages."""

import pytest

from tests.conftest import sign_in


def test_pages_forbid_scripts_from_elsewhere_and_framing(client, db):
    response = client.get("/sign-in/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/sign-in/", "/accessibility/", "/no-such-page/"])
def test_every_page_offers_the_other_language(client, db, path):
    body = client.get(path).content.decode()
    assert 'name="language" value="cy"' in body
    assert 'href="#main-content"' in body  # the skip link


def test_the_accessibility_statement_is_bilingual(client, db):
    assert "Accessibility statement" in client.get("/accessibility/").content.decode()
    client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    assert "Datganiad hygyrchedd" in client.get("/accessibility/").content.decode()


def test_an_unknown_page_answers_404_in_the_portals_own_words(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_health_check_reports_the_database_and_the_broker(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_health_check_says_when_the_broker_is_down(client, db, broker_down):
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_the_accessibility_statement_follows_the_regulations_model(client, db, settings):
    from pathlib import Path

    from hwb_portal.accessibility import TESTED_JOURNEYS

    settings.HWB_SERVICE_DESK_EMAIL = "desk@hwb.example"
    body = " ".join(client.get("/accessibility/").content.decode().split())
    for part in (
        "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA",
        "to be fixed by 31 March 2027",
        "(WCAG 2.2 success criterion 1.4.10;",
        'href="mailto:desk@hwb.example"',
        "in Welsh or in English",
        "Equality and Human Rights Commission (EHRC)",
        "Equality Commission for Northern Ireland (ECNI)",
        "This statement was prepared on 4 December 2026",
        "last reviewed on",
    ):
        assert part in body, part
    # It lists every browser journey there is (and none that is not).
    journeys = {path.stem for path in (Path(__file__).parent / "browser").glob("test_*.py")}
    assert set(TESTED_JOURNEYS) == journeys
