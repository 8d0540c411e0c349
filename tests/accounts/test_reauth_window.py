"""The User management window (WCAG 2.2.1): every page warns before it ends with a way to stay,
a form sent after it ended is kept across the sign-in (never its passwords), the sign-in says
why, and a detour through it never restarts a wizard (reset=1)."""

import datetime as dt

import time_machine

from accounts.models import User
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.second_factor import next_code

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float):
    return time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False)


def test_a_user_management_page_carries_the_warning_and_others_do_not(champion_client):
    page = champion_client.get("/user-management/").content.decode()
    assert 'id="hwb-timeout"' in page and 'data-seconds-left="900"' in page
    assert 'data-warn-before="120"' in page and "Stay in User management" in page
    assert 'id="hwb-timeout"' not in champion_client.get("/accessibility/").content.decode()


def test_stay_gives_a_fresh_window_but_not_after_it_ended(client, champion, settings):
    settings.HWB_REAUTH_MINUTES = 15
    with at(0):
        sign_in(client, champion)
    with at(14):
        answer = client.post("/user-management/stay/", HTTP_ACCEPT="application/json")
        assert answer.json() == {"seconds_left": 900}
    with at(28):  # 14 minutes after "Stay": still open
        assert client.get("/user-management/").status_code == 200
    with at(44):
        answer = client.post("/user-management/stay/", HTTP_ACCEPT="application/json")
        assert answer.status_code == 403 and answer.json() == {"seconds_left": 0}


def test_a_form_sent_after_the_window_ended_is_kept_across_the_sign_in(
    client, champion, staff_member, settings
):
    settings.HWB_REAUTH_MINUTES = 15
    rename = f"/user-management/accounts/{staff_member.pk}/name/"
    with at(0):
        sign_in(client, champion)
    with at(20):
        sent = client.post(
            rename,
            {"first_name": "Siân", "last_name": "Huws", "reason": "marriage", "new_password": "x"},
        )
        assert sent.status_code == 302 and sent.url.startswith("/user-management/sign-in/")
        asked = client.get(sent.url).content.decode()
        assert "for your security it asks for your password again" in asked
        assert "What you sent has been kept" in asked
        assert User.objects.get(pk=staff_member.pk).last_name == "Jones"  # nothing done yet
        resumed = client.post(
            sent.url,
            {
                "username": champion.username,
                "password": PASSWORD,
                "code": next_code(champion),
                "next": rename,
            },
        )
        page = resumed.content.decode()
        assert "Send what you typed" in page
        assert 'name="last_name" value="Huws"' in page
        assert "new_password" not in page  # passwords are never kept
        done = client.post(
            rename, {"first_name": "Siân", "last_name": "Huws", "reason": "marriage"}
        )
        assert done.status_code == 302
    assert User.objects.get(pk=staff_member.pk).last_name == "Huws"


def test_the_detour_through_the_sign_in_never_restarts_a_wizard(client, staff_member, settings):
    settings.HWB_REAUTH_MINUTES = 15
    with at(0):
        sign_in(client, staff_member)
    with at(20):
        response = client.get("/user-management/account-transfer/request/?reset=1&step=2")
        assert response.status_code == 302
        assert "reset" not in response.url and "step%3D2" in response.url


def test_a_huge_form_sent_after_the_window_is_not_kept(client, champion, staff_member, settings):
    settings.HWB_REAUTH_MINUTES = 15
    with at(0):
        sign_in(client, champion)
    with at(20):
        sent = client.post(
            f"/user-management/accounts/{staff_member.pk}/name/",
            {f"field{n}": "x" * 4000 for n in range(50)},
        )
        assert sent.status_code == 302
        assert "What you sent has been kept" not in client.get(sent.url).content.decode()
