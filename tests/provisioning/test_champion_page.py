"""The digital champion's Provisioning page: their school's syncs, the records their MIS should
correct, and learners caught between two schools — and nobody else's."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from provisioning.models import ProvisioningRun
from provisioning.services.runs import snapshot_import
from tests.conftest import sign_in
from tests.factories import make_champion, make_upn
from tests.provisioning.builders import learner_record, snapshot, staff_record

pytestmark = pytest.mark.django_db

PAGE = "/user-management/provisioning/"

_clock = iter(datetime(2026, 1, 5, 6, 0, tzinfo=UTC) + timedelta(hours=n) for n in range(10_000))


def apply(school, learners=(), staff=(), **kwargs) -> ProvisioningRun:
    """A sync of the school, each one extracted after the one before."""
    return snapshot_import(
        school=school,
        snapshot=snapshot(school, learners=learners, staff=staff, extracted_at=next(_clock)),
        **kwargs,
    )


def detail(run) -> str:
    return f"{PAGE}runs/{run.pk}/"


def wrong_check_letter(upn: str) -> str:
    return ("B" if upn[0] != "B" else "C") + upn[1:]


@pytest.fixture
def run_with_errors(school) -> ProvisioningRun:
    return apply(
        school,
        learners=[
            learner_record(forename="Elin", surname="Roberts"),
            learner_record(
                wrong_check_letter(make_upn()), forename="Ffion", surname="Hughes", year_group="3"
            ),
        ],
        staff=[
            staff_record("HEA", forename="Gwenllian", surname="Ellis", is_headteacher=True),
            staff_record("CAR1", forename="Tomos", surname="Lewis", role="caretaker"),
        ],
    )


@pytest.fixture
def other_champion(other_school) -> User:
    return make_champion(other_school, first_name="Huw", last_name="Price")


def test_the_champion_sees_their_schools_syncs_with_status_and_counts(
    champion_client, run_with_errors
):
    body = champion_client.get(PAGE).content.decode()

    assert '<h1 class="govuk-heading-l">Provisioning</h1>' in body
    assert "Llanberis Primary School" in body
    assert "govuk-tag--green" in body and "Succeeded" in body
    assert detail(run_with_errors) in body
    # 2 learners and 2 staff received, 2 records not taken.
    assert body.count('govuk-table__cell--numeric">2</td>') == 3


def test_record_errors_say_who_what_is_wrong_and_who_puts_it_right(
    champion_client, run_with_errors
):
    bad_upn = next(e["key"] for e in run_with_errors.errors if e["code"] == "invalid_check_letter")

    for page in (PAGE, detail(run_with_errors)):
        body = champion_client.get(page).content.decode()
        assert "Ffion Hughes" in body
        assert f"UPN {bad_upn}" in body
        assert "The UPN has a typing mistake" in body
        assert "Tomos Lewis" in body and "Staff code CAR1" in body
        assert "The role must be teaching, support, governor or ITE student" in body
        assert "Your MIS administrator should correct this in the MIS" in body
        assert "this learner&#x27;s Hwb account stays as it was" in body
        assert "Elin Roberts" not in body, "a record that was taken is not an error"


def test_the_run_detail_shows_every_count_and_the_warnings(champion_client, school):
    run = apply(
        school,
        learners=[
            learner_record(forename="Osian", surname="Owen"),
            learner_record("G80120000101A", forename="Mali", surname="Owen"),
        ],
        staff=[staff_record(is_headteacher=True)],
    )

    response = champion_client.get(detail(run))

    body = response.content.decode()
    assert response.status_code == 200
    assert "What this sync changed" in body
    assert "New accounts" in body and "Records received" in body
    assert "Moved in from another school" in body
    assert "None: Hwb took every record in this sync." in body
    assert "Mali Owen" in body and "UPN G80120000101A" in body
    assert "temporary UPN" in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_held_sync_says_why_and_that_nothing_changed(champion_client, school):
    apply(school, learners=[learner_record() for _ in range(10)])
    held = apply(school, learners=[], staff=[])
    assert held.status == ProvisioningRun.Status.HELD

    body = champion_client.get(PAGE).content.decode()
    assert "govuk-tag--yellow" in body and "Held for review" in body
    assert held.failure_reason in body
    body = champion_client.get(detail(held)).content.decode()
    assert "Why it was held" in body
    assert "Nothing has changed yet" in body


def test_a_dry_run_is_marked_as_one(champion_client, school):
    run = apply(school, learners=[learner_record()], dry_run=True)
    assert "Dry run" in champion_client.get(PAGE).content.decode()
    body = champion_client.get(detail(run)).content.decode()
    assert "What this sync would have changed" in body
    assert "Yes, nothing was changed" in body


def test_the_page_shows_the_last_ten_syncs_only(champion_client, school):
    runs = [apply(school, learners=[learner_record()], dry_run=True) for _ in range(11)]
    body = champion_client.get(PAGE).content.decode()
    assert detail(runs[-1]) in body
    assert detail(runs[0]) not in body


def test_the_page_is_in_welsh_after_switching_language(champion_client, run_with_errors):
    champion_client.post("/i18n/setlang/", {"language": "cy", "next": PAGE})

    for page in (PAGE, detail(run_with_errors)):
        response = champion_client.get(page)
        body = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="cy"' in body
        assert "Ysgol Gynradd Llanberis" in body
        assert "Ffion Hughes" in body


def test_a_champion_of_another_school_sees_neither_the_runs_nor_the_run(
    client, run_with_errors, other_champion
):
    sign_in(client, other_champion)
    assert detail(run_with_errors) not in client.get(PAGE).content.decode()
    assert client.get(detail(run_with_errors)).status_code == 404


def test_someone_who_is_not_a_champion_gets_404(client, staff_member, run_with_errors):
    sign_in(client, staff_member)
    assert client.get(PAGE).status_code == 404
    assert client.get(detail(run_with_errors)).status_code == 404
    assert PAGE not in client.get("/user-management/").content.decode()


def test_the_dashboard_links_champions_to_provisioning(champion_client):
    assert f'href="{PAGE}"' in champion_client.get("/user-management/").content.decode()


def test_the_page_needs_user_managements_second_sign_in(client, champion, run_with_errors):
    sign_in(client, champion, reauthenticated=False)
    for page in (PAGE, detail(run_with_errors)):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/user-management/sign-in/?next=")


def test_the_page_is_read_only(champion_client, run_with_errors):
    assert champion_client.post(PAGE).status_code == 405
    assert champion_client.post(detail(run_with_errors)).status_code == 405


# --- Learners between two schools ---------------------------------------------------------------


def admitted_elsewhere(school, other_school, count: int = 1):
    """Learners on roll at ``school`` whom ``other_school`` admits too, before any leaving date."""
    learners = [
        learner_record(forename=f"Dewi{n}", surname="Morgan", year_group="6") for n in range(count)
    ]
    apply(school, learners=learners)
    admitted = [dict(record, year_group="7", admission_date="2025-09-03") for record in learners]
    run = apply(other_school, learners=admitted)
    assert run.counts["learners"]["awaiting_leaver"] == count
    return learners


def test_the_admitting_school_sees_the_learner_awaiting_a_leaver(
    client, school, other_school, other_champion
):
    admitted_elsewhere(school, other_school)

    sign_in(client, other_champion)
    body = client.get(PAGE).content.decode()
    section = body.partition("Learners waiting for another school to record a leaving date")[2]
    assert "Dewi0 Morgan" in section
    assert "Llanberis Primary School (DfES number 6612001)" in section
    assert "ask the other school to record the learner's leaving date" in section
    assert "No learners at your school are on roll at another school too." in body


def test_the_school_still_holding_the_learner_sees_a_conflict(
    champion_client, school, other_school
):
    admitted_elsewhere(school, other_school)

    body = champion_client.get(PAGE).content.decode()
    section = body.partition("Learners on roll at another school too")[2]
    assert "Dewi0 Morgan" in section
    assert "Glantaf Secondary School (DfES number 6814004)" in section
    assert "record their leaving date in your MIS" in section
    assert "No learners are waiting for another school." in body


def test_once_the_old_school_records_a_leaving_date_both_lists_empty(
    client, champion, school, other_school, other_champion
):
    [dewi] = admitted_elsewhere(school, other_school)
    apply(school, learners=[dict(dewi, leaving_date="2025-07-20")])

    for person in (champion, other_champion):
        client.logout()
        sign_in(client, person)
        body = client.get(PAGE).content.decode()
        assert "Dewi0 Morgan" not in body
    assert User.objects.get(first_name="Dewi0").school == other_school


def test_a_future_admission_is_neither_awaiting_nor_a_conflict(
    client, champion, school, other_school, other_champion
):
    dewi = learner_record(forename="Dewi", surname="Morgan")
    apply(school, learners=[dewi])
    apply(other_school, learners=[dict(dewi, admission_date="2099-09-01")])

    for person in (champion, other_champion):
        client.logout()
        sign_in(client, person)
        assert "Dewi Morgan" not in client.get(PAGE).content.decode()


def page_queries(client, person) -> int:
    client.logout()
    sign_in(client, person)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_both_lists_cost_the_same_queries_for_3_or_30_learners(
    client, champion, school, other_school, other_champion
):
    learners = admitted_elsewhere(school, other_school, count=3)
    few = (page_queries(client, champion), page_queries(client, other_champion))

    more = [learner_record(forename=f"Nia{n}", surname="Evans") for n in range(27)]
    apply(school, learners=learners + more)
    run = apply(
        other_school,
        learners=[dict(r, admission_date="2025-09-03") for r in learners + more],
    )
    assert run.counts["learners"]["awaiting_leaver"] == 30
    many = (page_queries(client, champion), page_queries(client, other_champion))

    assert few == many
    assert client.get(PAGE).content.decode().count("Evans") == 27


def test_a_sync_names_who_it_added_and_who_left_and_runs_are_told_apart(champion_client, school):
    upn = make_upn()
    first = apply(
        school,
        learners=[
            learner_record(upn, forename="Elin", surname="Roberts"),
            learner_record(forename="Osian", surname="Griffiths"),
        ],
        staff=[staff_record("TL1", forename="Tomos", surname="Lewis")],
    )
    elin = User.objects.get(first_name="Elin")
    body = " ".join(champion_client.get(detail(first)).content.decode().split())
    assert "Who this sync changed" in body and "New accounts (3)" in body
    assert f'Roberts, Elin</a></td> <td class="govuk-table__cell">{elin.username}</td>' in body
    assert "Lewis, Tomos" in body
    # The next sync: Osian has left; the list tells the two syncs apart to the second.
    second = apply(school, learners=[learner_record(upn, forename="Elin", surname="Roberts")])
    body = " ".join(champion_client.get(detail(second)).content.decode().split())
    assert "Leavers: accounts closed" in body and "Griffiths, Osian" in body
    assert "New accounts (" not in body
    listing = " ".join(champion_client.get(PAGE).content.decode().split())
    assert re.search(r"\d{1,2} \w+ \d{4}, \d\d:\d\d:\d\d", listing)  # to the second
    assert f"(sync number {first.pk})" in listing and f"(sync number {second.pk})" in listing
    assert "New: 3. Left: 0. Moved in: 0." in listing
    assert "New: 0. Left: 2. Moved in: 0." in listing  # Osian and Tomos


def test_the_dashboard_says_when_the_latest_sync_has_records_to_correct(
    champion_client, school, run_with_errors
):
    body = " ".join(champion_client.get("/user-management/").content.decode().split())
    assert "has 2 records to correct." in body  # the bad UPN and the caretaker
    assert f'href="{PAGE}">See what to correct</a>' in body
    apply(school, learners=[learner_record(forename="Elin", surname="Roberts")])  # all taken
    body = champion_client.get("/user-management/").content.decode()
    assert "See what to correct" not in body


def test_a_surname_changed_in_the_mis_gets_a_new_username_in_one_click(champion_client, school):
    from accounts.models import UsernameAlias

    apply(school, staff=[staff_record("TL1", forename="Tomos", surname="Lewis")])
    tomos = User.objects.get(first_name="Tomos")
    assert tomos.username == "lewist"
    apply(school, staff=[staff_record("TL1", forename="Tomos", surname="Huws")])  # the MIS renames
    tomos.refresh_from_db()
    assert (tomos.last_name, tomos.username) == ("Huws", "lewist")
    body = " ".join(champion_client.get(PAGE).content.decode().split())
    assert "Names changed in your MIS" in body and "Huws, Tomos</a> (lewist)" in body
    account_page = f"/user-management/accounts/{tomos.pk}/"
    assert "no longer matches the username" in champion_client.get(account_page).content.decode()
    champion_client.post(
        f"{account_page}name/",
        {"first_name": "Tomos", "last_name": "Huws", "reason": "mis", "new_username": "on"},
    )
    tomos.refresh_from_db()
    assert tomos.username == "huwst"
    assert UsernameAlias.objects.get(account=tomos).username == "lewist"
    assert "Names changed in your MIS" not in champion_client.get(PAGE).content.decode()
