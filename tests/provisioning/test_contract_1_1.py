"""The contract's version 1.1: registration groups and classes kept, and a temporary UPN replaced
by the permanent one without a second account."""

import itertools
from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import AuditEntry, User
from provisioning.models import MisLearner, MisStaff
from provisioning.services.runs import snapshot_import
from schools.identifiers import upn_from_digits, upn_hash
from tests.factories import PASSWORD
from tests.provisioning.builders import learner_record, snapshot, staff_record

pytestmark = pytest.mark.django_db
MAY = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
_serials = itertools.count(1)


def apply(school, at, *, learners=(), staff=(), dry_run=False):
    with time_machine.travel(at, tick=False):
        return snapshot_import(
            school=school,
            snapshot=snapshot(school, learners=learners, staff=staff, extracted_at=at),
            dry_run=dry_run,
        )


def temporary_upn(school) -> str:
    return upn_from_digits(f"{school.dfes_number}26{next(_serials):02d}T")


def permanent_upn(school) -> str:
    return upn_from_digits(f"{school.dfes_number}26{next(_serials) + 500:03d}")


def test_registration_groups_and_classes_are_kept_and_a_change_is_an_update(school):
    record = learner_record(registration_group="7 Tryfan", classes=["7A/Ma1", "7 Cymraeg"])
    tutor = staff_record(registration_group="7 Tryfan")
    apply(school, MAY, learners=[record], staff=[tutor])

    learner = MisLearner.objects.get(school=school)
    assert learner.registration_group == "7 Tryfan"
    assert learner.class_list == ["7A/Ma1", "7 Cymraeg"]
    assert MisStaff.objects.get(school=school).registration_group == "7 Tryfan"

    run = apply(school, JUNE, learners=[dict(record, registration_group="7 Moelwyn", classes=[])])
    assert run.counts["learners"]["updated"] == 1
    learner.refresh_from_db()
    assert (learner.registration_group, learner.class_list) == ("7 Moelwyn", [])


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"registration_group": "x" * 21}, "registration_group", "invalid_group"),
        ({"registration_group": 7}, "registration_group", "invalid_type"),
        ({"classes": "7A/Ma1"}, "classes", "invalid_type"),
        ({"classes": [f"c{n}" for n in range(31)]}, "classes", "invalid_classes"),
        ({"classes": ["ok", "tab\there"]}, "classes", "invalid_classes"),
    ],
)
def test_a_bad_group_or_class_rejects_the_record_alone(school, fields, field, code):
    good = learner_record()
    run = apply(school, MAY, learners=[good, learner_record(**fields)])
    assert [(e["record"], e["field"], e["code"]) for e in run.errors] == [
        ("learners[1]", field, code)
    ]
    assert run.counts["learners"]["created"] == 1


def test_a_permanent_upn_takes_over_the_temporary_upns_account(school):
    temporary = temporary_upn(school)
    record = learner_record(temporary, forename="Mali", surname="Edwards")
    first = apply(school, MAY, learners=[record])
    account = User.objects.get(username=first.accounts["learners"][temporary])
    account.set_password(PASSWORD)
    account.save()

    permanent = permanent_upn(school)
    run = apply(school, JUNE, learners=[dict(record, upn=permanent, previous_upn=temporary)])

    assert run.status == "succeeded"
    assert run.accounts["learners"] == {permanent: account.username}
    assert run.counts["learners"]["created"] == 0
    assert run.counts["learners"]["left"] == 0
    assert [(w["key"], w["code"]) for w in run.warnings] == [(permanent, "upn_replaced")]
    account.refresh_from_db()
    assert account.is_active and account.check_password(PASSWORD)
    assert account.upn_hash == upn_hash(permanent)
    assert User.objects.filter(kind=User.Kind.LEARNER).count() == 1
    assert AuditEntry.objects.filter(action="account.upn_replaced", target_id=str(account.pk))
    # Sending the same snapshot again changes nothing.
    again = apply(
        school,
        datetime(2026, 6, 2, 6, tzinfo=UTC),
        learners=[dict(record, upn=permanent, previous_upn=temporary)],
    )
    assert again.counts["learners"]["unchanged"] == 1


def test_a_dry_run_reports_the_replacement_and_changes_nothing(school):
    temporary = temporary_upn(school)
    record = learner_record(temporary)
    apply(school, MAY, learners=[record])
    permanent = permanent_upn(school)
    run = apply(
        school, JUNE, learners=[dict(record, upn=permanent, previous_upn=temporary)], dry_run=True
    )
    assert [w["code"] for w in run.warnings] == ["upn_replaced"]
    assert User.objects.get(kind=User.Kind.LEARNER).upn_hash == upn_hash(temporary)


def test_another_learners_temporary_upn_links_nothing(school):
    temporary = temporary_upn(school)
    apply(school, MAY, learners=[learner_record(temporary, forename="Mali", date_of_birth=None)])
    stranger = learner_record(
        permanent_upn(school), forename="Cai", surname="Owen", previous_upn=temporary
    )
    run = apply(school, JUNE, learners=[learner_record(temporary, forename="Mali"), stranger])
    assert [(e["field"], e["code"]) for e in run.errors] == [
        ("previous_upn", "previous_upn_other_person")
    ]
    assert run.counts["learners"]["created"] == 0
    held = User.objects.get(kind=User.Kind.LEARNER)
    assert held.upn_hash == upn_hash(temporary) and held.is_active


def test_a_learner_still_on_roll_elsewhere_is_not_linked(school, other_school):
    temporary = temporary_upn(other_school)
    record = learner_record(temporary)
    apply(other_school, MAY, learners=[record])
    run = apply(
        school, JUNE, learners=[dict(record, upn=permanent_upn(school), previous_upn=temporary)]
    )
    assert [e["code"] for e in run.errors] == ["previous_upn_on_roll_elsewhere"]
    assert User.objects.get(kind=User.Kind.LEARNER).school == other_school


@pytest.mark.parametrize("previous", ["permanent", "same", "garbage"])
def test_a_previous_upn_must_be_another_temporary_upn(school, previous):
    upn = permanent_upn(school)
    value = {"permanent": permanent_upn(school), "same": upn, "garbage": "A12"}[previous]
    run = apply(school, MAY, learners=[learner_record(upn, previous_upn=value)])
    assert [e["field"] for e in run.errors] == ["previous_upn"]
    assert run.counts["learners"]["rejected"] == 1


def test_the_champion_reads_the_replacement_and_a_refusal_in_plain_words(school, champion_client):
    temporary = temporary_upn(school)
    record = learner_record(temporary, forename="Mali")
    apply(school, MAY, learners=[record])
    stranger = learner_record(permanent_upn(school), forename="Cai", surname="Owen")
    run = apply(
        school,
        JUNE,
        learners=[
            dict(record, upn=permanent_upn(school), previous_upn=temporary),
            dict(stranger, previous_upn=permanent_upn(school)),
        ],
    )
    body = " ".join(
        champion_client.get(f"/user-management/provisioning/runs/{run.pk}/")
        .content.decode()
        .split()
    )
    assert "they keep the same Hwb account, username and password" in body
    assert "is not a temporary UPN (one ending in a letter)" in body
    assert "Previous (temporary) UPN" in body
