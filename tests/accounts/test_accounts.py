"""Accounts as the services make them: UPNs only as hashes, roles, and the audit trail."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError

from accounts.models import AuditEntry, SchoolRole, User
from accounts.services import AccountError, account_create, school_role_grant
from hwb_portal.settings import base as base_settings
from schools.identifiers import upn_hash
from tests.factories import PASSWORD, make_account


def test_a_learner_is_stored_with_the_hash_of_their_upn_only(db, school):
    learner = make_account(school=school, kind=User.Kind.LEARNER, upn="B801200005001")
    learner.refresh_from_db()
    assert learner.upn_hash == upn_hash("B801200005001")
    row = User.objects.filter(pk=learner.pk).values().get()
    assert "B801200005001" not in str(row)


def test_one_account_per_upn_across_wales(db, school, other_school):
    make_account(school=school, kind=User.Kind.LEARNER, upn="B801200005001")
    with pytest.raises(AccountError):
        make_account(school=other_school, kind=User.Kind.LEARNER, upn="B801200005001")
    assert User.objects.filter(upn_hash=upn_hash("B801200005001")).count() == 1


def test_a_bad_upn_creates_nothing(db, school):
    with pytest.raises(ValidationError):
        make_account(school=school, kind=User.Kind.LEARNER, upn="A801200005001")
    assert not User.objects.filter(kind=User.Kind.LEARNER).exists()


def test_only_learners_have_a_upn(db, school):
    with pytest.raises(AccountError):
        make_account(school=school, kind=User.Kind.STAFF, upn="B801200005001")


def test_the_database_refuses_a_staff_account_with_a_upn_hash(db, school):
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", kind=User.Kind.STAFF, upn_hash="0" * 64)


def test_the_database_refuses_an_upper_case_username(db):
    with pytest.raises(IntegrityError):
        User.objects.create(username="BloggsJ", kind=User.Kind.STAFF)


def test_an_account_made_without_a_password_cannot_sign_in(client, school):
    user = make_account(school=school, password=None)
    assert not user.has_usable_password()
    response = client.post("/sign-in/", {"username": user.username, "password": ""})
    assert response.status_code == 200


def test_passwords_are_hashed_with_argon2id_at_owasps_recommended_cost(db, school, settings):
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    user = make_account(school=school)
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_password_hashed_with_djangos_default_argon2_is_rehashed_at_sign_in(
    client, staff_member, settings
):
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    djangos = Argon2PasswordHasher()
    old_hash = djangos.encode(PASSWORD, djangos.salt())
    assert "m=102400,t=2,p=8" in old_hash
    User.objects.filter(pk=staff_member.pk).update(password=old_hash)

    response = client.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})

    assert response.status_code == 302
    staff_member.refresh_from_db()
    assert staff_member.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert staff_member.check_password(PASSWORD)


def test_a_wrong_password_leaves_an_old_argon2_hash_as_it_was(client, staff_member, settings):
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    djangos = Argon2PasswordHasher()
    old_hash = djangos.encode(PASSWORD, djangos.salt())
    User.objects.filter(pk=staff_member.pk).update(password=old_hash)

    response = client.post("/sign-in/", {"username": staff_member.username, "password": "Nope-1"})

    assert response.status_code == 200
    staff_member.refresh_from_db()
    assert staff_member.password == old_hash


def test_creating_an_account_is_audited(db, school):
    user = make_account(school=school)
    entry = AuditEntry.objects.get(action="account.created", target_id=str(user.pk))
    assert entry.school == school
    assert entry.details == {"kind": "staff"}


def test_a_school_has_one_headteacher_and_a_new_one_replaces_the_old(db, school, headteacher):
    newcomer = make_account(school=school, first_name="Nia", last_name="Owen")
    school_role_grant(actor=None, user=newcomer, school=school, role="headteacher")
    assert list(
        SchoolRole.objects.filter(school=school, role="headteacher").values_list("user", flat=True)
    ) == [newcomer.pk]
    assert AuditEntry.objects.filter(action="school_role.revoked", target_id=str(headteacher.pk))


def test_roles_belong_to_the_accounts_own_school(db, school, other_school_staff):
    with pytest.raises(AccountError):
        school_role_grant(
            actor=None, user=other_school_staff, school=school, role="digital_champion"
        )


def test_a_champion_cannot_promote_themselves(db, school, champion):
    other = make_account(school=school, first_name="Ann", last_name="Bell")
    with pytest.raises(AccountError):
        school_role_grant(actor=other, user=other, school=school, role="digital_champion")


def test_account_needs_names(db, school):
    with pytest.raises(AccountError):
        account_create(actor=None, first_name=" ", last_name="Jones", kind="staff", school=school)


def test_issue_password_prints_a_one_time_password(db, staff_member, capsys, client):
    call_command("issue_password", staff_member.username.upper())
    out = capsys.readouterr().out
    password = out.split(": ", 1)[1].splitlines()[0]
    staff_member.refresh_from_db()
    assert staff_member.must_change_password
    assert staff_member.check_password(password)
    assert AuditEntry.objects.filter(action="account.password_reset", actor=None).exists()


def test_issue_password_for_an_unknown_username_fails(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No account"):
        call_command("issue_password", "nobody")
