"""Bulk writes of accounts and audit entries fill every column as the models say."""

import pytest
from django.db import connection
from django.utils import timezone

from accounts.bulk import (
    AccountRef,
    accounts_insert_from,
    audit_entries_insert_from,
    audit_entry_build,
)
from accounts.models import AuditEntry, User
from accounts.services import audit_record

pytestmark = pytest.mark.django_db

PEOPLE = (
    "(SELECT 'jonesa' AS username, 'jonesa' AS username_base, 'jonesa@hwb.test' AS email,"
    " 'Ann' AS first_name, 'Jones' AS last_name, 'staff' AS kind"
    " UNION ALL SELECT 'evansb', 'evansb', 'evansb@hwb.test', 'Bryn', 'Evans', 'governor') n"
)
COLUMNS = {
    name: f"n.{name}"
    for name in ("username", "username_base", "email", "first_name", "last_name", "kind")
}


def fields(instance, *, leave_out=("id",)) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in leave_out and not f.generated
    }


def test_accounts_inserted_in_bulk_have_every_field_user_gives_them(school):
    joined = timezone.now()
    with connection.cursor() as cursor:
        inserted = accounts_insert_from(
            cursor,
            source=PEOPLE,
            columns=COLUMNS,
            password="!unusable",
            school=school,
            date_joined=joined,
        )
    assert inserted == 2
    ann = User.objects.get(username="jonesa")
    expected = User(
        username="jonesa",
        username_base="jonesa",
        email="jonesa@hwb.test",
        first_name="Ann",
        last_name="Jones",
        kind="staff",
        password="!unusable",
        school=school,
        date_joined=joined,
    )
    assert fields(ann) == fields(expected)
    assert ann.search_name == "ann jones jonesa"  # the database's own, for the search
    assert not ann.has_usable_password()
    assert User.objects.get(username="evansb").kind == "governor"


def test_a_bulk_insert_without_a_required_field_is_refused_and_inserts_nothing(school):
    columns = {name: sql for name, sql in COLUMNS.items() if name != "kind"}
    with connection.cursor() as cursor, pytest.raises(ValueError, match="kind"):
        accounts_insert_from(cursor, source=PEOPLE, columns=columns, password="!", school=school)
    with connection.cursor() as cursor, pytest.raises(ValueError, match="shoe_size"):
        accounts_insert_from(
            cursor, source=PEOPLE, columns={**COLUMNS, "shoe_size": "9"}, password="!"
        )
    assert not User.objects.filter(username__in=["jonesa", "evansb"]).exists()


def test_audit_entries_inserted_in_bulk_are_copies_of_the_one_entry_built(school, staff_member):
    entry = audit_entry_build(
        actor=None, job="provisioning", action="account.created", school=school, details={"run": 7}
    )
    with connection.cursor() as cursor:
        inserted = audit_entries_insert_from(
            cursor,
            entry=entry,
            source="accounts_user u WHERE u.id = %s",
            params=[staff_member.pk],
            target_id="u.id",
            target_repr="u.username",
        )
    assert inserted == 1
    written = AuditEntry.objects.get(action="account.created", actor_username="provisioning")
    built = audit_entry_build(
        actor=None,
        job="provisioning",
        action="account.created",
        target=AccountRef(staff_member.pk, staff_member.username),
        school=school,
        details={"run": 7},
        created_at=entry.created_at,
    )
    assert fields(written) == fields(built)
    assert (written.target_type, written.target_id) == ("accounts.user", str(staff_member.pk))


def test_audit_record_saves_the_entry_audit_entry_build_makes(school, champion, staff_member):
    saved = audit_record(
        actor=champion,
        action="account.password_reset",
        target=staff_member,
        school=school,
        ip_address="192.0.2.1",
        details={"form_key": "k"},
    )
    built = audit_entry_build(
        actor=champion,
        action="account.password_reset",
        target=staff_member,
        school=school,
        ip_address="192.0.2.1",
        details={"form_key": "k"},
        created_at=saved.created_at,
    )
    assert fields(AuditEntry.objects.get(pk=saved.pk)) == fields(built)
    assert built.pk is None, "built, not saved"
