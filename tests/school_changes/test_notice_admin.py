"""The Hwb team works local authorities' notices in the admin: each step audited, on the
notice's timeline, and emailed to the officer who sent it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from provisioning.credentials import client_token_verify
from provisioning.models import ClientToken
from school_changes.models import SchoolNotice
from school_changes.rules import NoticeFields
from school_changes.services.notices import notice_submit
from schools.models import School
from tests.factories import SchoolFactory, make_account


@pytest.fixture
def officer(school) -> User:
    return make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=school.local_authority,
        first_name="Alun",
        last_name="Morgan",
    )


@pytest.fixture
def hwb_team(db) -> User:
    return User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )


@pytest.fixture
def admin_client(client, hwb_team):
    client.force_login(hwb_team)
    return client


@pytest.fixture
def gwynedd_schools(school) -> list[School]:
    return [
        school,
        SchoolFactory(dfes_number="6612002", name_en="Deiniolen Primary School"),
        SchoolFactory(dfes_number="6612003", name_en="Waunfawr Primary School"),
    ]


def _date():
    return timezone.localdate() + timedelta(weeks=10)


@pytest.fixture
def new_school_notice(officer) -> SchoolNotice:
    return notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.NEW_SCHOOL,
            effective_date=_date(),
            new_school_name="Ysgol Newydd Caernarfon",
            proposed_dfes_number="6613999",
            phase="primary",
            contact_name="Mair Hughes",
            contact_email="mair@gwynedd.example",
        ),
    )


@pytest.fixture
def merger_notice(officer, gwynedd_schools) -> SchoolNotice:
    return notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.MERGER,
            effective_date=_date(),
            merging_schools=gwynedd_schools,
            continuing_school=gwynedd_schools[0],
        ),
    )


@pytest.fixture
def closure_notice(officer, gwynedd_schools, other_school) -> SchoolNotice:
    return notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.CLOSURE,
            effective_date=_date(),
            merging_schools=[gwynedd_schools[2]],
            receiving_schools=[gwynedd_schools[1], other_school],
        ),
    )


def step_url(notice: SchoolNotice, step: str) -> str:
    return reverse("admin:school_changes_schoolnotice_step", args=[notice.pk, step])


def change_url(notice: SchoolNotice) -> str:
    return reverse("admin:school_changes_schoolnotice_change", args=[notice.pk])


def take_step(client, notice, step, capture, **data):
    mail.outbox.clear()
    with capture(execute=True):
        return client.post(step_url(notice, step), data)


def page(response) -> str:
    return response.content.decode()


def test_the_notice_list_filters_by_kind_status_lateness_and_authority(
    admin_client, new_school_notice, merger_notice
):
    url = reverse("admin:school_changes_schoolnotice_changelist")
    response = admin_client.get(url, {"kind__exact": "merger"})
    assert list(response.context["cl"].result_list) == [merger_notice]
    for query in ({"status__exact": "received"}, {"is_late__exact": "0"}, {"local_authority": 661}):
        assert admin_client.get(url, query).status_code == 200


def test_a_received_notice_offers_accept_and_decline(admin_client, new_school_notice):
    body = page(admin_client.get(change_url(new_school_notice)))
    assert step_url(new_school_notice, "accept") in body
    assert step_url(new_school_notice, "decline") in body
    assert step_url(new_school_notice, "create-school") not in body


def test_opening_a_step_changes_nothing(admin_client, new_school_notice):
    response = admin_client.get(step_url(new_school_notice, "accept"))
    assert response.status_code == 200
    assert "Start work on this notice" in page(response)
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.RECEIVED


def test_a_new_school_from_notice_to_token_to_completion(
    admin_client, officer, hwb_team, new_school_notice, django_capture_on_commit_callbacks
):
    notice = new_school_notice
    capture = django_capture_on_commit_callbacks

    response = take_step(admin_client, notice, "accept", capture, note="On it.")
    assert response.status_code == 302 and response.url == change_url(notice)
    notice.refresh_from_db()
    assert notice.status == SchoolNotice.Status.IN_PROGRESS
    (email,) = mail.outbox
    assert email.to == [officer.email]
    assert email.subject.endswith(" / The Hwb team has started on your notice")
    assert "On it." in email.body

    form = page(admin_client.get(step_url(notice, "create-school")))
    assert 'value="6613999"' in form and 'value="Ysgol Newydd Caernarfon"' in form
    take_step(
        admin_client,
        notice,
        "create-school",
        capture,
        dfes_number="6613999",
        name_en="Ysgol Newydd Caernarfon",
        name_cy="",
        phase="primary",
    )
    notice.refresh_from_db()
    school = notice.school
    assert (school.dfes_number, school.status, school.opening_date) == (
        "6613999",
        School.Status.PROPOSED,
        notice.effective_date,
    )
    (email,) = mail.outbox
    assert email.subject.endswith(" / The new school has been created in Hwb")

    response = take_step(admin_client, notice, "issue-token", capture)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # the secret is never cached
    secret = response.context["secret"]
    assert secret in page(response)
    assert client_token_verify(secret).school == school
    (email,) = mail.outbox
    assert email.subject.endswith(" / The new school's Provisioning Client token has been issued")
    assert secret not in email.body and secret not in email.alternatives[0][0]
    assert secret not in page(admin_client.get(change_url(notice)))

    take_step(admin_client, notice, "complete", capture, note="")
    notice.refresh_from_db()
    assert notice.status == SchoolNotice.Status.COMPLETED
    (email,) = mail.outbox
    assert email.subject.endswith(" / Your notice has been completed")

    assert [event.action for event in notice.events.all()] == [
        "submitted",
        "accepted",
        "school_created",
        "token_issued",
        "completed",
    ]
    actions = set(AuditEntry.objects.filter(actor=hwb_team).values_list("action", flat=True))
    assert {
        "notice.accepted",
        "notice.school_created",
        "schools.school_created",
        "notice.token_issued",
        "provisioning.client_token_issued",
        "notice.completed",
    } <= actions


def test_a_school_cannot_be_created_with_a_number_already_taken(
    admin_client, new_school_notice, hwb_team, django_capture_on_commit_callbacks
):
    take_step(admin_client, new_school_notice, "accept", django_capture_on_commit_callbacks)
    response = take_step(
        admin_client,
        new_school_notice,
        "create-school",
        django_capture_on_commit_callbacks,
        dfes_number="6612001",
        name_en="Ysgol",
        phase="primary",
    )
    assert response.status_code == 400
    assert "already has the DfES number 6612001" in page(response)
    new_school_notice.refresh_from_db()
    assert new_school_notice.school is None
    assert mail.outbox == []


def test_a_step_out_of_order_is_refused_with_its_reason(
    admin_client, new_school_notice, django_capture_on_commit_callbacks
):
    response = take_step(
        admin_client, new_school_notice, "complete", django_capture_on_commit_callbacks, note=""
    )
    assert response.status_code == 400
    assert "This notice is received: this step cannot be taken now." in page(response)
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.RECEIVED
    assert mail.outbox == []


def test_a_merger_with_a_continuing_school_records_it_and_marks_the_others_closing(
    admin_client, officer, merger_notice, gwynedd_schools, django_capture_on_commit_callbacks
):
    llanberis, deiniolen, waunfawr = gwynedd_schools
    capture = django_capture_on_commit_callbacks
    take_step(admin_client, merger_notice, "accept", capture, note="")
    take_step(admin_client, merger_notice, "create-school", capture)
    merger_notice.refresh_from_db()
    assert merger_notice.school == llanberis
    assert mail.outbox[0].subject.endswith(" / The continuing school has been recorded in Hwb")
    # The continuing school keeps its own token: no button, and the step is refused.
    assert step_url(merger_notice, "issue-token") not in page(
        admin_client.get(change_url(merger_notice))
    )
    response = take_step(admin_client, merger_notice, "issue-token", capture)
    assert response.status_code == 400
    assert ClientToken.objects.count() == 0

    take_step(admin_client, merger_notice, "schools-closing", capture)
    for school in (deiniolen, waunfawr):
        school.refresh_from_db()
        assert (school.status, school.closing_date, school.successor) == (
            School.Status.CLOSING,
            merger_notice.effective_date,
            llanberis,
        )
    llanberis.refresh_from_db()
    assert llanberis.status == School.Status.OPEN
    (email,) = mail.outbox
    assert email.to == [officer.email]
    assert "Waunfawr Primary School (6612003)" in email.body
    assert "Their successor school is Llanberis Primary School." in email.body
    assert AuditEntry.objects.filter(action="schools.school_closing").count() == 2


def test_a_closure_records_the_receiving_school_the_hwb_team_picks(
    admin_client, closure_notice, gwynedd_schools, other_school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    take_step(admin_client, closure_notice, "accept", capture, note="")
    form = page(admin_client.get(step_url(closure_notice, "schools-closing")))
    assert "Glantaf Secondary School" in form and "No successor school" in form
    take_step(
        admin_client, closure_notice, "schools-closing", capture, successor=str(other_school.pk)
    )
    waunfawr = gwynedd_schools[2]
    waunfawr.refresh_from_db()
    assert (waunfawr.status, waunfawr.successor) == (School.Status.CLOSING, other_school)
    take_step(admin_client, closure_notice, "complete", capture, note="Done.")
    closure_notice.refresh_from_db()
    assert closure_notice.status == SchoolNotice.Status.COMPLETED


def test_a_closure_successor_must_be_a_receiving_school(
    admin_client, closure_notice, gwynedd_schools, django_capture_on_commit_callbacks
):
    """A tampered POST naming a school that is not receiving: refused, nothing closes."""
    capture = django_capture_on_commit_callbacks
    take_step(admin_client, closure_notice, "accept", capture, note="")
    response = take_step(
        admin_client,
        closure_notice,
        "schools-closing",
        capture,
        successor=str(gwynedd_schools[0].pk),
    )
    assert response.status_code == 400
    gwynedd_schools[2].refresh_from_db()
    assert gwynedd_schools[2].status == School.Status.OPEN


def test_declining_needs_a_reason_and_tells_the_officer(
    admin_client, officer, new_school_notice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    response = take_step(admin_client, new_school_notice, "decline", capture, note="  ")
    assert response.status_code == 400
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.RECEIVED

    take_step(
        admin_client,
        new_school_notice,
        "decline",
        capture,
        note="The school is not going ahead: the council's decision was reversed.",
    )
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.DECLINED
    (email,) = mail.outbox
    assert email.to == [officer.email] and email.subject.endswith(
        " / Your notice has been declined"
    )
    assert "the council's decision was reversed" in email.body
    assert AuditEntry.objects.filter(action="notice.declined").count() == 1


def test_a_notice_with_a_school_created_cannot_be_declined(
    admin_client, new_school_notice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    take_step(admin_client, new_school_notice, "accept", capture, note="")
    take_step(
        admin_client,
        new_school_notice,
        "create-school",
        capture,
        dfes_number="6613999",
        name_en="Ysgol",
        phase="primary",
    )
    response = take_step(admin_client, new_school_notice, "decline", capture, note="No.")
    assert response.status_code == 400
    assert "undo that in the schools" in page(response)


def test_a_double_click_accepts_once(
    admin_client, new_school_notice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    take_step(admin_client, new_school_notice, "accept", capture, note="")
    second = take_step(admin_client, new_school_notice, "accept", capture, note="")
    assert second.status_code == 400
    assert new_school_notice.events.filter(action="accepted").count() == 1
    assert mail.outbox == []


def test_the_notice_cannot_be_edited_added_or_deleted_in_the_admin(admin_client, new_school_notice):
    assert admin_client.get(reverse("admin:school_changes_schoolnotice_add")).status_code == 403
    admin_client.post(change_url(new_school_notice), {"status": "completed"})
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.RECEIVED
    delete = reverse("admin:school_changes_schoolnotice_delete", args=[new_school_notice.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


@pytest.fixture
def viewer_client(client, school):
    """A Hwb team member who may look at notices but not work them."""
    viewer = make_account(kind=User.Kind.HWB_TEAM, first_name="Gwyn", last_name="Viewer")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_schoolnotice"))
    client.force_login(viewer)
    return client


def test_working_a_notice_needs_the_change_permission(viewer_client, new_school_notice):
    assert viewer_client.get(change_url(new_school_notice)).status_code == 200
    assert step_url(new_school_notice, "accept") not in page(
        viewer_client.get(change_url(new_school_notice))
    )
    assert viewer_client.post(step_url(new_school_notice, "accept"), {}).status_code == 403
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.RECEIVED


def test_an_unknown_step_is_not_found(admin_client, new_school_notice):
    assert admin_client.post(step_url(new_school_notice, "explode"), {}).status_code == 404


def test_a_step_needs_the_csrf_token(client, hwb_team, new_school_notice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(hwb_team)
    assert strict.post(step_url(new_school_notice, "accept"), {}).status_code == 403
    new_school_notice.refresh_from_db()
    assert new_school_notice.status == SchoolNotice.Status.RECEIVED


def test_a_welsh_page_names_the_new_school_in_welsh_and_marks_english_text(
    client, officer, hwb_team
):
    """Welsh Language Standards and WCAG 3.1.2: the notice list and timeline give a school's
    Welsh name on a Welsh page, and English text there carries lang="en"."""
    from school_changes.services.notices import notice_accept, notice_school_create
    from tests.conftest import sign_in

    notice = notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.NEW_SCHOOL,
            effective_date=_date(),
            new_school_name="Eryri Primary School",
            new_school_name_cy="Ysgol Gynradd Eryri",
            phase="primary",
            contact_name="Mair Hughes",
            contact_email="mair@gwynedd.example",
        ),
    )
    notice_accept(notice_id=notice.pk, actor=hwb_team)
    notice_school_create(notice_id=notice.pk, actor=hwb_team, dfes_number="6613998")
    sign_in(client, officer, reauthenticated=False)
    client.cookies["django_language"] = "cy"
    listed = " ".join(client.get("/local-authority/").content.decode().split())
    assert '<span lang="cy">Ysgol Gynradd Eryri</span>' in listed
    assert "Eryri Primary School" not in listed
    detail = " ".join(client.get(f"/local-authority/notices/{notice.pk}/").content.decode().split())
    timeline = detail[detail.index("govuk-table") :]
    assert "Ysgol Gynradd Eryri (6613998)" in timeline
    assert '<span lang="en">Eryri Primary School</span>' in detail


def test_notes_written_on_a_welsh_page_are_marked_welsh(client, officer):
    from django.utils import translation

    from tests.conftest import sign_in

    with translation.override("cy"):
        notice = notice_submit(
            officer=officer,
            fields=NoticeFields(
                kind=SchoolNotice.Kind.NEW_SCHOOL,
                effective_date=_date(),
                new_school_name="Ysgol Newydd",
                phase="primary",
                contact_name="Mair Hughes",
                contact_email="mair@gwynedd.example",
                notes="Bydd yr ysgol yn agor yn hwyr.",
            ),
        )
    assert notice.notes_language == "cy"
    sign_in(client, officer, reauthenticated=False)
    page = client.get(f"/local-authority/notices/{notice.pk}/").content.decode()
    assert 'lang="cy">Bydd yr ysgol yn agor yn hwyr.' in page
