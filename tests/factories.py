"""Factories for the domain: schools and accounts, built through the real services."""

import itertools

import factory

from accounts.models import SchoolRole, User
from accounts.second_factor import second_factor_required
from accounts.services import account_create, school_role_grant
from schools.identifiers import upn_from_digits
from schools.models import LocalAuthority, School

from .second_factor import give_second_factor

PASSWORD = "Correct-Horse-42"
_serials = itertools.count(1)


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("dfes_number",)

    dfes_number = factory.Sequence(lambda n: f"661{2000 + n:04d}")
    local_authority = factory.LazyAttribute(
        lambda o: LocalAuthority.objects.get(code=int(o.dfes_number[:3]))
    )
    name_en = factory.Sequence(lambda n: f"Test Primary School {n}")
    name_cy = factory.Sequence(lambda n: f"Ysgol Gynradd Prawf {n}")
    phase = School.Phase.PRIMARY
    status = School.Status.OPEN


def make_upn(dfes_number: str = "6612000") -> str:
    """A fresh, valid UPN (issued by the given school in 2024)."""
    return upn_from_digits(f"{dfes_number}24{next(_serials) % 1000:03d}")


def make_account(
    *,
    school: School | None = None,
    kind: str = User.Kind.STAFF,
    first_name: str = "Sarah",
    last_name: str = "Jones",
    password: str | None = PASSWORD,
    upn: str | None = None,
    roles: tuple[str, ...] = (),
    second_factor: bool = True,
    **extra,
) -> User:
    """An account made by account_create, as the portal makes them, with optional roles.

    Accounts that need two-step verification have set it up with the test key, unless
    ``second_factor`` is False (they will be asked to set it up when they sign in).
    """
    if kind == User.Kind.LEARNER and upn is None:
        upn = make_upn(school.dfes_number if school else "6612000")
    user = account_create(
        actor=None,
        first_name=first_name,
        last_name=last_name,
        kind=kind,
        school=school,
        password=password,
        upn=upn,
        **extra,
    )
    for role in roles:
        school_role_grant(actor=None, user=user, school=school, role=role)
    if second_factor and second_factor_required(user):
        give_second_factor(user)  # the test key: tests sign in with codes (tests/second_factor.py)
    return user


def make_champion(school: School, **kwargs) -> User:
    kwargs.setdefault("first_name", "Dafydd")
    kwargs.setdefault("last_name", "Prys")
    return make_account(school=school, roles=(SchoolRole.Role.DIGITAL_CHAMPION,), **kwargs)
