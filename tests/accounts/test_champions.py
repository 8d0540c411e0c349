"""A digital champion manages their own school's accounts, and only those."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry, User
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_account


def _list(client, **params):
    return client.get("/user-management/accounts/", params)


def test_the_list_shows_the_champions_school_only(
    champion_client, staff_member, other_school_staff
):
    body = _list(champion_client).content.decode()
    assert staff_member.username in body
    assert other_school_staff.username not in body


def test_another_schools_account_answers_404(champion_client, other_school_staff):
    assert (
        champion_client.get(f"/user-management/accounts/{other_school_staff.pk}/").status_code
        == 404
    )
    reset_url = f"/user-management/accounts/{other_school_staff.pk}/reset-password/"
    assert champion_client.get(reset_url).status_code == 404
    assert champion_client.post(reset_url).status_code == 404
    other_school_staff.refresh_from_db()
    assert other_school_staff.check_password(PASSWORD)
    assert not other_school_staff.must_change_password


def test_someone_who_is_not_a_champion_gets_404(client, staff_member, champion):
    sign_in(client, staff_member)
    assert _list(client).status_code == 404
    assert client.get(f"/user-management/accounts/{champion.pk}/").status_code == 404
    assert "Manage your school" not in client.get("/user-management/").content.decode()


def test_a_champion_who_moved_school_no_longer_manages_the_old_one(
    client, champion, staff_member, other_school
):
    champion.school = other_school
    champion.save()
    sign_in(client, champion)
    assert client.get(f"/user-management/accounts/{staff_member.pk}/").status_code == 404


def test_search_by_name_username_and_kind(champion_client, school, staff_member, learner):
    make_account(school=school, first_name="Tomos", last_name="Lewis")
    body = _list(champion_client, q="siân jones").content.decode()
    assert staff_member.username in body and "lewist" not in body
    body = _list(champion_client, q="LEWIST").content.decode()
    assert "lewist" in body and staff_member.username not in body
    body = _list(champion_client, kind="learner").content.decode()
    assert learner.username in body and staff_member.username not in body


def test_search_ignores_accents_case_and_the_order_of_the_words(champion_client, school):
    llyr = make_account(school=school, first_name="Llŷr", last_name="ap Rhys")
    osian = make_account(school=school, first_name="Osian", last_name="Griffiths")
    make_account(school=school, first_name="Osian", last_name="Jones")
    for search, found in [
        ("Llyr", llyr),
        ("LLŶR", llyr),
        ("rhys llyr", llyr),
        ("Griffiths, Osian", osian),
        ("osian griffiths", osian),
        ("gRiFfItHs", osian),
    ]:
        body = _list(champion_client, q=search).content.decode()
        assert found.username in body, search
        assert "1 account" in body, search


def test_a_renamed_account_is_found_by_its_new_name(champion_client, school, staff_member):
    User.objects.filter(pk=staff_member.pk).update(last_name="Ŵyn")  # a bulk write, as the MIS
    assert staff_member.username in _list(champion_client, q="wyn").content.decode()


def test_search_by_upn_matches_through_the_hash(champion_client, school):
    learner = make_account(
        school=school,
        kind=User.Kind.LEARNER,
        first_name="Osian",
        last_name="Owen",
        upn="Q681200124001",
    )
    make_account(school=school, kind=User.Kind.LEARNER, first_name="Mali", last_name="Owen")
    body = _list(champion_client, q="q681200124001").content.decode()
    assert learner.username in body
    assert "1 account" in body


def test_bad_search_input_is_explained_and_lists_nothing_wrong(champion_client, staff_member):
    response = _list(champion_client, kind="<script>", page="999", q="x" * 500)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error:" in body
    assert "There is a problem" in body
    # The page's own script tags all carry attributes: a bare one would be the injected input.
    assert "&lt;script&gt;" in body and "<script>" not in body


def test_a_nul_byte_in_the_search_is_refused_cleanly(champion_client):
    response = _list(champion_client, q="jones\x00")
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _list(client).status_code == 200
    return len(queries)


def test_the_list_query_count_does_not_grow_with_the_school(champion_client, school):
    for number in range(5):
        make_account(school=school, first_name=f"Five{number}", last_name="Staff", password=None)
    with_five = _count_queries(champion_client)
    for number in range(45):
        make_account(school=school, first_name=f"Fifty{number}", last_name="Staff", password=None)
    with_fifty = _count_queries(champion_client)
    assert with_five >= 3  # session, account, the page: it really did query
    assert with_fifty == with_five


def test_the_list_shows_roles_offers_only_the_kinds_present_and_leads_back(
    champion_client, school, champion, headteacher, learner
):
    body = " ".join(_list(champion_client).content.decode().split())
    row = body[body.index(headteacher.username) :]
    row = row[: row.index("</tr>")]
    assert "Headteacher</strong>" in row
    champion_row = body[body.index(f">{champion.username}<") :]
    assert "Digital champion</strong>" in champion_row[: champion_row.index("</tr>")]
    kinds = body[body.index('name="kind"') : body.index("</select>", body.index('name="kind"'))]
    assert 'value="learner"' in kinds and 'value="staff"' in kinds
    assert 'value="governor"' not in kinds and 'value="ite_student"' not in kinds
    assert '<a href="/user-management/" class="govuk-back-link">Back to User management</a>' in body


def test_the_list_is_paginated(champion_client, school, settings):
    settings.HWB_PAGE_SIZE = 10
    for number in range(25):
        make_account(school=school, first_name=f"P{number}", last_name="Staff", password=None)
    body = _list(champion_client, page=3).content.decode()
    assert "Page 3 of 3" in body
    # 26 accounts (the champion and 25 staff): page 3 holds the last 6, under a header row.
    assert body.count('class="govuk-table__row"') == 1 + 6


def test_reset_password_shows_a_one_time_password_once(champion_client, client, staff_member):
    url = f"/user-management/accounts/{staff_member.pk}/reset-password/"
    confirm = champion_client.get(url)
    assert "Reset password" in confirm.content.decode()
    response = champion_client.post(url, {"form_key": confirm.context["form"]["form_key"].value()})
    assert response.status_code == 302
    shown = champion_client.get(response.url)
    assert "no-store" in shown["Cache-Control"]
    password = shown.context["password"]
    assert password in shown.content.decode()
    staff_member.refresh_from_db()
    assert staff_member.must_change_password
    assert not staff_member.check_password(PASSWORD)
    entry = AuditEntry.objects.get(action="account.password_reset")
    assert entry.actor.pk != staff_member.pk
    assert entry.ip_address == "127.0.0.1"
    assert password not in str(entry.details)
    # The holder signs in with it and is made to choose a new password.
    fresh = client.__class__()
    signed_in = fresh.post("/sign-in/", {"username": staff_member.username, "password": password})
    assert signed_in.status_code == 302
    assert fresh.get("/").url == "/change-password/"


def test_the_page_that_shows_a_password_once_offers_no_language_switch_that_would_lose_it(
    champion_client, staff_member
):
    url = f"/user-management/accounts/{staff_member.pk}/reset-password/"
    confirm = champion_client.get(url)
    assert 'name="language"' in confirm.content.decode()  # an ordinary page has the switch
    response = champion_client.post(url, {"form_key": confirm.context["form"]["form_key"].value()})
    shown = champion_client.get(response.url).content.decode()
    assert 'name="language"' not in shown
    assert "To change the language, leave this page first" in shown
    # Once shown, the page (now without the password) has its switch again.
    assert 'name="language"' in champion_client.get(response.url).content.decode()


def test_a_reset_page_visited_by_get_changes_nothing(champion_client, staff_member):
    champion_client.get(f"/user-management/accounts/{staff_member.pk}/reset-password/")
    staff_member.refresh_from_db()
    assert staff_member.check_password(PASSWORD)


def test_a_champion_cannot_reset_their_own_password_here(champion_client, champion):
    response = champion_client.post(
        f"/user-management/accounts/{champion.pk}/reset-password/", {"form_key": "k" * 32}
    )
    assert response.status_code == 403
    assert "cannot reset your own password" in response.content.decode()
    champion.refresh_from_db()
    assert not champion.must_change_password


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_account_page_shows_the_account(champion_client, staff_member, language):
    champion_client.post("/i18n/setlang/", {"language": language, "next": "/"})
    body = champion_client.get(f"/user-management/accounts/{staff_member.pk}/").content.decode()
    assert staff_member.username in body and staff_member.email in body
    assert f'lang="{language}"' in body


def test_a_reset_signs_the_holder_out_everywhere(champion_client, staff_member):
    from django.test import Client

    holder = sign_in(Client(), staff_member)
    assert holder.get("/user-management/my-profile/").status_code == 200
    champion_client.post(
        f"/user-management/accounts/{staff_member.pk}/reset-password/", {"form_key": "k" * 32}
    )
    response = holder.get("/user-management/my-profile/")
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


def test_the_list_filters_by_status_and_password_and_sorts_by_last_sign_in(
    champion_client, champion, school
):
    from datetime import timedelta

    from django.utils import timezone

    never = make_account(school=school, first_name="Nia", last_name="Never", password=None)
    one_time = make_account(school=school, first_name="Owen", last_name="Once")
    User.objects.filter(pk=one_time.pk).update(must_change_password=True)
    own = make_account(school=school, first_name="Osian", last_name="Own")
    closed = make_account(school=school, first_name="Cai", last_name="Closed")
    User.objects.filter(pk=closed.pk).update(is_active=False)
    User.objects.filter(pk=own.pk).update(last_login=timezone.now() - timedelta(days=1))
    User.objects.filter(pk=one_time.pk).update(last_login=timezone.now() - timedelta(days=30))

    def usernames(**params) -> list[str]:
        body = _list(champion_client, **params).content.decode()
        return [u.username for u in (never, one_time, own, closed) if f">{u.username}<" in body]

    assert usernames(password="never") == [never.username]
    assert usernames(password="one_time") == [one_time.username]
    assert own.username in usernames(password="own") and never.username not in usernames(
        password="own"
    )
    assert usernames(status="deactivated") == [closed.username]
    assert closed.username not in usernames(status="active")
    body = _list(champion_client, sort="last_sign_in").content.decode()
    assert body.index(f">{own.username}<") < body.index(f">{one_time.username}<")
    assert body.index(f">{one_time.username}<") < body.index(f">{never.username}<")
    body = " ".join(_list(champion_client).content.decode().split())
    row = body[body.index(f">{never.username}<") :]
    assert "Never issued" in row[: row.index("</tr>")]
    # The filters travel with the pages and the download.
    assert (
        "download.csv?password=never" in _list(champion_client, password="never").content.decode()
    )
