"""Local-authority notices: the officer's forms, the notice period, who sees what, the daily job."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEntry, User
from school_changes.models import SchoolNotice
from school_changes.rules import NoticeError, NoticeFields, notice_period_check
from school_changes.services.notices import (
    notice_accept,
    notice_school_create,
    notice_schools_closing,
    notice_submit,
)
from school_changes.services.schools import schools_status_advance
from schools.models import School
from tests.conftest import sign_in
from tests.factories import SchoolFactory, make_account

LIST = "/local-authority/"
START = "/local-authority/notices/new/"


def form_url(kind: str) -> str:
    return f"/local-authority/notices/new/{kind}/"


def check_url(kind: str) -> str:
    return f"/local-authority/notices/new/{kind}/check/"


def page(response) -> str:
    return response.content.decode()


def date_fields(day: date) -> dict:
    return {
        "effective_date_day": str(day.day),
        "effective_date_month": str(day.month),
        "effective_date_year": str(day.year),
    }


def in_weeks(weeks: int, days: int = 0) -> date:
    return timezone.localdate() + timedelta(weeks=weeks, days=days)


@pytest.fixture
def officer(school) -> User:
    """Alun Morgan, officer of Gwynedd (the authority of Llanberis Primary School)."""
    return make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=school.local_authority,
        first_name="Alun",
        last_name="Morgan",
    )


@pytest.fixture
def cardiff_officer(other_school) -> User:
    return make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=other_school.local_authority,
        first_name="Nia",
        last_name="Evans",
    )


@pytest.fixture
def officer_client(client, officer):
    return sign_in(client, officer, reauthenticated=False)


@pytest.fixture
def gwynedd_schools(school) -> list[School]:
    """Llanberis Primary and two more Gwynedd schools, all open."""
    return [
        school,
        SchoolFactory(dfes_number="6612002", name_en="Deiniolen Primary School"),
        SchoolFactory(dfes_number="6612003", name_en="Waunfawr Primary School"),
    ]


def new_school_answers(**overrides) -> dict:
    answers = {
        "new_school_name": "Ysgol Newydd Caernarfon",
        "new_school_name_cy": "Ysgol Newydd Caernarfon",
        "proposed_dfes_number": "6613999",
        "phase": "primary",
        "contact_name": "Mair Hughes",
        "contact_email": "mair.hughes@gwynedd.example",
        "contact_phone": "01286 123456",
        "notes": "",
        **date_fields(in_weeks(10)),
    }
    answers.update(overrides)
    return answers


def send(client, kind: str, answers: dict, django_capture_on_commit_callbacks):
    """Fill in the form, then send it from the check page; returns the check page's response."""
    response = client.post(form_url(kind), answers)
    assert response.status_code == 302, page(response)
    assert response.url == check_url(kind)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(check_url(kind))


# --- The notice period ----------------------------------------------------------------------------


def test_exactly_six_weeks_notice_is_on_time():
    today = date(2026, 3, 2)
    assert notice_period_check(today + timedelta(weeks=6), today) == (False, 42)


def test_six_weeks_less_a_day_is_late():
    today = date(2026, 3, 2)
    assert notice_period_check(today + timedelta(days=41), today) == (True, 41)


def test_a_notice_for_today_is_late_but_accepted():
    today = date(2026, 3, 2)
    assert notice_period_check(today, today) == (True, 0)


def test_a_date_in_the_past_is_refused():
    today = date(2026, 3, 2)
    with pytest.raises(NoticeError, match="today or in the future"):
        notice_period_check(today - timedelta(days=1), today)


def test_the_minimum_notice_follows_the_setting(settings):
    settings.HWB_NOTICE_MIN_WEEKS = 7
    today = date(2026, 3, 2)
    assert notice_period_check(today + timedelta(weeks=6, days=6), today) == (True, 48)
    assert notice_period_check(today + timedelta(weeks=7), today) == (False, 49)


def test_the_check_page_warns_of_a_late_notice_and_why_it_matters(officer_client, settings):
    settings.HWB_NOTICE_MIN_WEEKS = 6
    answers = new_school_answers(**date_fields(in_weeks(6, days=-1)))
    officer_client.post(form_url("new-school"), answers)
    check = page(officer_client.get(check_url("new-school")))
    assert "This notice is late: it gives 41 days' notice." in check
    assert "at least 6 weeks before the date" in check
    assert "may not be set up on Hwb, with its Provisioning Client running, by its date" in check


def test_six_weeks_notice_shows_no_late_warning(officer_client):
    officer_client.post(form_url("new-school"), new_school_answers(**date_fields(in_weeks(6))))
    check = page(officer_client.get(check_url("new-school")))
    assert "42 days – on time" in check
    assert "This notice is late" not in check


def test_a_longer_minimum_makes_the_same_notice_late(officer_client, settings):
    settings.HWB_NOTICE_MIN_WEEKS = 8
    officer_client.post(form_url("new-school"), new_school_answers(**date_fields(in_weeks(7))))
    check = page(officer_client.get(check_url("new-school")))
    assert "This notice is late: it gives 49 days' notice." in check
    assert "at least 8 weeks before the date" in check


# --- A new school ---------------------------------------------------------------------------------


def test_an_officer_tells_the_hwb_team_of_a_new_school(
    officer_client, officer, settings, django_capture_on_commit_callbacks
):
    response = send(
        officer_client, "new-school", new_school_answers(), django_capture_on_commit_callbacks
    )
    notice = SchoolNotice.objects.get()
    assert response.url == f"/local-authority/notices/{notice.pk}/"
    assert notice.kind == SchoolNotice.Kind.NEW_SCHOOL
    assert notice.status == SchoolNotice.Status.RECEIVED
    assert notice.local_authority_id == 661
    assert (notice.new_school_name, notice.proposed_dfes_number) == (
        "Ysgol Newydd Caernarfon",
        "6613999",
    )
    assert (notice.notice_days, notice.is_late) == (70, False)
    assert notice.submitted_by == officer
    assert [event.action for event in notice.events.all()] == ["submitted"]
    audit = AuditEntry.objects.get(action="notice.submitted")
    assert audit.actor == officer and audit.target_id == str(notice.pk)
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        [officer.email, settings.HWB_TEAM_EMAIL]
    )
    to_officer = next(email for email in mail.outbox if email.to == [officer.email])
    assert to_officer.subject.endswith(" / Your notice has reached the Hwb team")
    assert f"/local-authority/notices/{notice.pk}/" in to_officer.body
    detail = page(officer_client.get(response.url))
    assert "Your notice has been sent to the Hwb team" in detail
    assert "Ysgol Newydd Caernarfon" in detail
    assert "Withdraw this notice" in detail


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"new_school_name": ""}, "Enter the new school&#x27;s name"),
        ({"phase": ""}, "Choose the new school&#x27;s phase"),
        ({"contact_email": ""}, "Enter the contact&#x27;s email address"),
        ({"contact_email": "not-an-email"}, "Enter an email address like name@example.org"),
        ({"effective_date_day": ""}, "The date must include a day, a month and a year"),
        (
            {
                "effective_date_day": "31",
                "effective_date_month": "2",
                "effective_date_year": "2030",
            },
            "The date must be a real date",
        ),
        (
            {"effective_date_day": "", "effective_date_month": "", "effective_date_year": ""},
            "Enter the date the school opens",
        ),
        (date_fields(date(2020, 9, 1)), "The date must be today or in the future"),
        ({"proposed_dfes_number": "6814999"}, "must start with your authority&#x27;s number, 661"),
        ({"proposed_dfes_number": "6612001"}, "already has the DfES number 6612001"),
        ({"proposed_dfes_number": "12ab"}, "Enter a DfES number of 7 digits"),
        (
            {"proposed_dfes_number": "1234567"},
            "123 is not a Welsh local authority&#x27;s number: a DfES number starts with one",
        ),
        ({"new_school_name": "x" * 201}, "Enter a name of up to 200 characters"),
        ({"notes": "x" * 2001}, "Write notes of up to 2,000 characters"),
        ({"contact_phone": "<script>"}, "Enter a telephone number"),
    ],
)
def test_a_new_school_form_with_a_mistake_says_so_and_saves_nothing(
    officer_client, overrides, message
):
    response = officer_client.post(form_url("new-school"), new_school_answers(**overrides))
    assert response.status_code == 400
    body = page(response)
    assert "<title>Error: A new school opening" in body
    assert "There is a problem" in body
    assert message in body
    assert SchoolNotice.objects.count() == 0
    assert "hwb_notice_answers" not in officer_client.session or not officer_client.session[
        "hwb_notice_answers"
    ].get("new-school")


def test_names_are_stored_as_typed_without_control_characters(
    officer_client, django_capture_on_commit_callbacks
):
    # "ŵ" typed as w + combining circumflex, and a stray zero-width space and bell.
    answers = new_school_answers(new_school_name="Ysgol Tŵr\u200b\x07 ", new_school_name_cy="")
    answers["new_school_name"] = "Ysgol Tw\u0302r\u200b\x07"
    send(officer_client, "new-school", answers, django_capture_on_commit_callbacks)
    assert SchoolNotice.objects.get().new_school_name == "Ysgol Tŵr"


def test_change_from_the_check_page_shows_the_answers_again(officer_client):
    officer_client.post(form_url("new-school"), new_school_answers())
    form = page(officer_client.get(form_url("new-school")))
    assert 'value="Ysgol Newydd Caernarfon"' in form
    assert 'value="6613999"' in form


def test_sending_twice_makes_one_notice(officer_client, django_capture_on_commit_callbacks):
    send(officer_client, "new-school", new_school_answers(), django_capture_on_commit_callbacks)
    again = officer_client.post(check_url("new-school"))  # a double click, or the back button
    assert again.status_code == 302 and again.url == form_url("new-school")
    assert SchoolNotice.objects.count() == 1


def test_the_check_page_without_answers_goes_back_to_the_form(officer_client):
    response = officer_client.post(check_url("merger"))
    assert response.status_code == 302 and response.url == form_url("merger")
    assert SchoolNotice.objects.count() == 0


def test_an_unknown_kind_of_notice_is_not_found(officer_client):
    assert officer_client.get(form_url("demolition")).status_code == 404


# --- A merger -------------------------------------------------------------------------------------


def merger_answers(schools, **overrides) -> dict:
    answers = {
        "merging_schools": [str(school.pk) for school in schools],
        "continuing": "new",
        "new_school_name": "Ysgol Bro Peris",
        "new_school_name_cy": "",
        "proposed_dfes_number": "",
        "phase": "primary",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "notes": "Federation from September.",
        **date_fields(in_weeks(12)),
    }
    answers.update(overrides)
    return answers


def test_an_officer_tells_the_hwb_team_of_a_merger_into_a_new_school(
    officer_client, gwynedd_schools, django_capture_on_commit_callbacks
):
    form = page(officer_client.get(form_url("merger")))
    for school in gwynedd_schools:
        assert f'value="{school.pk}"' in form
    send(
        officer_client,
        "merger",
        merger_answers(gwynedd_schools),
        django_capture_on_commit_callbacks,
    )
    notice = SchoolNotice.objects.get()
    assert notice.kind == SchoolNotice.Kind.MERGER
    assert set(notice.closing_schools.all()) == set(gwynedd_schools)
    assert notice.continuing_school is None
    assert notice.new_school_name == "Ysgol Bro Peris"
    listed = page(officer_client.get(LIST))
    assert f"Merger (notice {notice.pk})" in listed
    assert "Received" in listed


def test_a_merger_where_one_school_continues_names_no_new_school(
    officer_client, gwynedd_schools, django_capture_on_commit_callbacks
):
    llanberis, deiniolen, waunfawr = gwynedd_schools
    answers = merger_answers(
        gwynedd_schools, continuing=str(llanberis.pk), new_school_name="", phase=""
    )
    send(officer_client, "merger", answers, django_capture_on_commit_callbacks)
    notice = SchoolNotice.objects.get()
    assert notice.continuing_school == llanberis
    assert set(notice.closing_schools.all()) == {deiniolen, waunfawr}
    assert (notice.new_school_name, notice.phase) == ("", "")


def test_a_merger_needs_two_schools(officer_client, gwynedd_schools):
    response = officer_client.post(form_url("merger"), merger_answers(gwynedd_schools[:1]))
    assert response.status_code == 400
    assert "Choose at least two schools that are merging" in page(response)
    assert 'href="#id_merging_schools_0"' in page(response)  # the summary links to the boxes
    assert SchoolNotice.objects.count() == 0


def test_another_authoritys_school_is_refused_in_a_merger(
    officer_client, gwynedd_schools, other_school
):
    """A tampered POST naming a Cardiff school: not one of the choices, nothing saved."""
    response = officer_client.post(
        form_url("merger"), merger_answers([gwynedd_schools[0], other_school])
    )
    assert response.status_code == 400
    assert "Choose only your authority&#x27;s open schools" in page(response)
    assert SchoolNotice.objects.count() == 0


def test_the_continuing_school_must_be_one_of_the_merging_schools(officer_client, gwynedd_schools):
    answers = merger_answers(gwynedd_schools[:2], continuing=str(gwynedd_schools[2].pk))
    response = officer_client.post(form_url("merger"), answers)
    assert response.status_code == 400
    assert "The continuing school must be one of the schools that are merging" in page(response)


def test_a_tampered_continuing_choice_is_refused(officer_client, gwynedd_schools, other_school):
    answers = merger_answers(gwynedd_schools, continuing=str(other_school.pk))
    response = officer_client.post(form_url("merger"), answers)
    assert response.status_code == 400
    assert "Choose whether the merged school is a new school" in page(response)


def test_a_school_already_in_an_open_merger_is_refused(
    officer_client, officer, gwynedd_schools, django_capture_on_commit_callbacks
):
    send(
        officer_client,
        "merger",
        merger_answers(gwynedd_schools[:2]),
        django_capture_on_commit_callbacks,
    )
    response = officer_client.post(form_url("merger"), merger_answers(gwynedd_schools[1:]))
    assert response.status_code == 400
    assert "Deiniolen Primary School" in page(response)
    assert "is already in an open merger or closure notice" in page(response)
    assert SchoolNotice.objects.count() == 1


def test_the_service_refuses_what_the_form_would(officer, gwynedd_schools, other_school):
    """The rules hold without the form: a call naming another authority's school fails."""
    fields = NoticeFields(
        kind=SchoolNotice.Kind.MERGER,
        effective_date=in_weeks(10),
        merging_schools=[gwynedd_schools[0], other_school],
        new_school_name="Ysgol",
        phase="primary",
    )
    with pytest.raises(NoticeError, match="is not one of your authority's schools"):
        notice_submit(officer=officer, fields=fields)
    assert SchoolNotice.objects.count() == 0


def test_a_staff_member_cannot_send_a_notice_through_the_service(staff_member, gwynedd_schools):
    fields = NoticeFields(
        kind=SchoolNotice.Kind.NEW_SCHOOL, effective_date=in_weeks(10), new_school_name="Y"
    )
    with pytest.raises(NoticeError, match="Only local-authority officers"):
        notice_submit(officer=staff_member, fields=fields)


# --- A closure ------------------------------------------------------------------------------------


def closure_answers(closing, receiving: str, **overrides) -> dict:
    answers = {
        "closing_school": str(closing.pk),
        "receiving_schools": receiving,
        "notes": "",
        **date_fields(in_weeks(8)),
    }
    answers.update(overrides)
    return answers


def test_an_officer_tells_the_hwb_team_of_a_closure(
    officer_client, gwynedd_schools, other_school, django_capture_on_commit_callbacks
):
    llanberis, deiniolen, _waunfawr = gwynedd_schools
    # Receiving schools may be anywhere in Wales; spaces and blank lines are forgiven.
    receiving = f"{deiniolen.dfes_number}\n\n 681-4004 \n"
    send(
        officer_client,
        "closure",
        closure_answers(llanberis, receiving),
        django_capture_on_commit_callbacks,
    )
    notice = SchoolNotice.objects.get()
    assert notice.kind == SchoolNotice.Kind.CLOSURE
    assert list(notice.closing_schools.all()) == [llanberis]
    assert set(notice.receiving_schools.all()) == {deiniolen, other_school}


@pytest.mark.parametrize(
    ("receiving", "message"),
    [
        ("", "Enter the DfES number of at least one school"),
        ("6619999", "No school in Hwb has the DfES number 6619999"),
        ("hello", "“hello” is not a DfES number"),
        ("1234567", "“1234567”: 123 is not a Welsh local authority&#x27;s number"),
        ("6612001", "is the school that is closing"),
        ("\n".join(f"66120{n:02d}" for n in range(21)), "Enter at most 20 receiving schools"),
    ],
)
def test_a_closure_with_wrong_receiving_schools_says_so(
    officer_client, gwynedd_schools, receiving, message
):
    response = officer_client.post(
        form_url("closure"), closure_answers(gwynedd_schools[0], receiving)
    )
    assert response.status_code == 400
    assert message in page(response)
    assert SchoolNotice.objects.count() == 0


def test_a_closed_school_cannot_receive_staff(officer_client, gwynedd_schools):
    SchoolFactory(dfes_number="6612099", status=School.Status.CLOSED, name_en="Old School")
    response = officer_client.post(
        form_url("closure"), closure_answers(gwynedd_schools[0], "6612099")
    )
    assert response.status_code == 400
    assert "is not open in Hwb (it is closed)" in page(response)


def test_another_authoritys_school_cannot_be_closed(officer_client, other_school):
    response = officer_client.post(form_url("closure"), closure_answers(other_school, "6612001"))
    assert response.status_code == 400
    assert "Choose one of your authority&#x27;s open schools" in page(response)
    assert SchoolNotice.objects.count() == 0


def test_a_school_closing_since_the_form_was_filled_is_refused_at_sending(
    officer_client, gwynedd_schools
):
    llanberis, deiniolen, _ = gwynedd_schools
    officer_client.post(form_url("closure"), closure_answers(llanberis, deiniolen.dfes_number))
    School.objects.filter(pk=deiniolen.pk).update(status=School.Status.CLOSING)
    response = officer_client.post(check_url("closure"))
    assert response.status_code == 400
    assert "is not open in Hwb (it is closing)" in page(response)
    assert SchoolNotice.objects.count() == 0


# --- Who sees what --------------------------------------------------------------------------------


def test_officers_see_only_their_authoritys_notices(
    client, officer, cardiff_officer, gwynedd_schools, other_school
):
    ours = notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.NEW_SCHOOL,
            effective_date=in_weeks(10),
            new_school_name="Ysgol Gwynedd Newydd",
            phase="primary",
            contact_name="Mair",
            contact_email="mair@example.org",
        ),
    )
    theirs = notice_submit(
        officer=cardiff_officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.NEW_SCHOOL,
            effective_date=in_weeks(10),
            new_school_name="Ysgol Caerdydd Newydd",
            phase="primary",
            contact_name="Rhys",
            contact_email="rhys@example.org",
        ),
    )
    sign_in(client, officer, reauthenticated=False)
    listed = page(client.get(LIST))
    assert "Ysgol Gwynedd Newydd" in listed
    assert "Ysgol Caerdydd Newydd" not in listed
    assert client.get(f"/local-authority/notices/{ours.pk}/").status_code == 200
    assert client.get(f"/local-authority/notices/{theirs.pk}/").status_code == 404
    assert client.post(f"/local-authority/notices/{theirs.pk}/withdraw/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == SchoolNotice.Status.RECEIVED


@pytest.mark.parametrize("path", [LIST, START, form_url("merger"), check_url("closure")])
def test_people_who_are_not_officers_are_told_plainly(client, staff_member, path):
    sign_in(client, staff_member, reauthenticated=False)
    response = client.get(path)
    assert response.status_code == 403
    assert "Only for local-authority officers" in page(response)


def test_an_officer_without_an_authority_is_refused(client, school):
    stray = make_account(kind=User.Kind.LA_OFFICER, first_name="Heb", last_name="Awdurdod")
    sign_in(client, stray, reauthenticated=False)
    assert client.get(LIST).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_officers_have_a_local_authority_link_and_others_do_not(client, officer, staff_member):
    sign_in(client, officer, reauthenticated=False)
    assert 'href="/local-authority/"' in page(client.get("/"))
    other = sign_in(client.__class__(), staff_member, reauthenticated=False)
    assert 'href="/local-authority/"' not in page(other.get("/"))


# --- Withdrawing ----------------------------------------------------------------------------------


@pytest.fixture
def merger_notice(officer, gwynedd_schools) -> SchoolNotice:
    return notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.MERGER,
            effective_date=in_weeks(10),
            merging_schools=gwynedd_schools,
            new_school_name="Ysgol Bro Peris",
            phase="primary",
        ),
    )


def test_an_officer_withdraws_a_received_notice(
    officer_client, officer, merger_notice, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(f"/local-authority/notices/{merger_notice.pk}/withdraw/")
    merger_notice.refresh_from_db()
    assert merger_notice.status == SchoolNotice.Status.WITHDRAWN
    assert AuditEntry.objects.filter(action="notice.withdrawn").count() == 1
    (email,) = mail.outbox
    assert email.to == [officer.email] and email.subject.endswith(
        " / Your notice has been withdrawn"
    )
    detail = page(officer_client.get(response.url))
    assert "Withdrawn by" in detail
    assert "Withdraw this notice" not in detail


def test_a_notice_the_hwb_team_has_started_cannot_be_withdrawn(
    officer_client, merger_notice, hwb_admin
):
    notice_accept(notice_id=merger_notice.pk, actor=hwb_admin)
    detail = page(officer_client.get(f"/local-authority/notices/{merger_notice.pk}/"))
    assert "Withdraw this notice" not in detail
    response = officer_client.post(
        f"/local-authority/notices/{merger_notice.pk}/withdraw/", follow=True
    )
    assert "this step cannot be taken now" in page(response)
    merger_notice.refresh_from_db()
    assert merger_notice.status == SchoolNotice.Status.IN_PROGRESS


def test_withdrawing_needs_a_post(officer_client, merger_notice):
    response = officer_client.get(f"/local-authority/notices/{merger_notice.pk}/withdraw/")
    assert response.status_code == 405
    merger_notice.refresh_from_db()
    assert merger_notice.status == SchoolNotice.Status.RECEIVED


def test_the_merger_page_keeps_the_staff_matching_panel(officer_client, merger_notice):
    response = officer_client.get(f"/local-authority/notices/{merger_notice.pk}/")
    assert "school_changes/staff_matches/_notice_panel.html" in [t.name for t in response.templates]


# --- The daily job --------------------------------------------------------------------------------


@pytest.fixture
def hwb_admin(db) -> User:
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


def test_schools_open_and_close_on_their_dates_once(
    officer, merger_notice, hwb_admin, gwynedd_schools, django_capture_on_commit_callbacks
):
    notice_accept(notice_id=merger_notice.pk, actor=hwb_admin)
    notice_school_create(notice_id=merger_notice.pk, actor=hwb_admin, dfes_number="6613500")
    notice_schools_closing(notice_id=merger_notice.pk, actor=hwb_admin)
    new_school = School.objects.get(dfes_number="6613500")
    assert new_school.status == School.Status.PROPOSED
    day = merger_notice.effective_date
    mail.outbox.clear()

    with time_machine.travel(day - timedelta(days=1)):
        assert schools_status_advance() == {"opened": 0, "closed": 0}
    with time_machine.travel(day), django_capture_on_commit_callbacks(execute=True):
        assert schools_status_advance() == {"opened": 1, "closed": 3}
    with time_machine.travel(day + timedelta(days=1)):
        assert schools_status_advance() == {"opened": 0, "closed": 0}

    new_school.refresh_from_db()
    assert new_school.status == School.Status.OPEN
    for school in gwynedd_schools:
        school.refresh_from_db()
        assert (school.status, school.successor) == (School.Status.CLOSED, new_school)
    assert AuditEntry.objects.filter(action="schools.school_opened").count() == 1
    assert AuditEntry.objects.filter(action="schools.school_closed").count() == 3
    (email,) = mail.outbox  # one email for the notice, naming every school
    assert email.to == [officer.email]
    assert "Opened in Hwb today:" in email.body and "Ysgol Bro Peris (6613500)" in email.body
    assert "Closed in Hwb today:" in email.body and "Waunfawr Primary School" in email.body
    assert [event.action for event in merger_notice.events.all()][-2:] == [
        "schools_opened",
        "schools_closed",
    ]


def test_the_beat_task_runs_the_daily_job(school):
    from school_changes.tasks import schools_status_advance as task

    School.objects.filter(pk=school.pk).update(
        status=School.Status.PROPOSED, opening_date=timezone.localdate()
    )
    assert task.delay().get() == {"opened": 1, "closed": 0}
    school.refresh_from_db()
    assert school.status == School.Status.OPEN


def _notices(officer, schools, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        notice = SchoolNotice.objects.create(
            kind=SchoolNotice.Kind.MERGER,
            local_authority=officer.local_authority,
            submitted_by=officer,
            submitted_by_username=officer.username,
            effective_date=in_weeks(10 + index),
            new_school_name=f"Ysgol {index}",
        )
        notice.closing_schools.set(schools)


def test_the_notice_list_runs_the_same_queries_for_2_or_20_notices(
    officer_client, officer, gwynedd_schools, settings
):
    settings.HWB_PAGE_SIZE = 25
    _notices(officer, gwynedd_schools, 2)
    with CaptureQueriesContext(connection) as few:
        assert officer_client.get(LIST).status_code == 200
    _notices(officer, gwynedd_schools, 18, start=2)
    with CaptureQueriesContext(connection) as many:
        response = officer_client.get(LIST)
    assert page(response).count("Ysgol 19") == 1
    assert len(many) == len(few)


def test_a_long_notice_list_comes_in_pages(officer_client, officer, gwynedd_schools, settings):
    settings.HWB_PAGE_SIZE = 5
    _notices(officer, gwynedd_schools, 7)
    first = page(officer_client.get(LIST))
    assert "Page 1 of 2" in first and first.count("(notice ") == 5
    second = page(officer_client.get(LIST + "?page=2"))
    assert "Page 2 of 2" in second and second.count("(notice ") == 2
    # A page number that does not exist shows the nearest real page.
    assert "Page 2 of 2" in page(officer_client.get(LIST + "?page=99"))


@pytest.mark.parametrize("kind", ["new-school", "merger", "closure"])
def test_the_date_hints_give_a_date_still_to_come(officer_client, gwynedd_schools, kind):
    text = page(officer_client.get(form_url(kind)))
    example = re.search(r"for example,? (\d{1,2}) (\d{1,2}) (\d{4})", text, re.IGNORECASE)
    assert example, "no date hint"
    day, month, year = map(int, example.groups())
    assert date(year, month, day) > date.today()


@pytest.mark.parametrize(
    "answers",
    [
        {},  # an empty form
        {"effective_date_day": "31", "effective_date_month": "2", "effective_date_year": "2027"},
    ],
    ids=["empty", "bad-date"],
)
def test_a_new_school_notice_reports_every_problem_at_once(officer_client, answers):
    """WCAG 3.3.1: not a few at a time (an empty form once showed only the date; a bad date hid
    the rest)."""
    response = officer_client.post(form_url("new-school"), answers)
    assert response.status_code == 400
    body = page(response)
    summary = body[body.index("govuk-error-summary__list") :]
    summary = summary[: summary.index("</ul>")]
    for field in ("new_school_name", "phase", "effective_date"):
        assert f'href="#id_{field}' in summary, field
    assert summary.count("<li>") >= 3
