"""Reads of accounts, with authorisation in their names: they return the object or raise 404."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from core.text import ascii_fold
from schools.identifiers import YEAR_GROUP_ORDER, is_valid_upn, upn_hash
from schools.models import LocalAuthority, School

from .models import EXPIRING_WEEKS, AccountMove, AccountMoveClaim, SchoolRole, User
from .rules import authority_admin_id, mis_records, tutor_groups, tutored_learners
from .signin import accounts_with_lock_state
from .usernames import username_base

# Where a user object remembers its school roles: request.user is loaded afresh for every
# request, so a role granted or removed shows from the next request on.
_ROLES_ATTRIBUTE = "_hwb_school_roles"


def user_school_roles(user: User) -> tuple[tuple[int, str], ...]:
    """Every (school id, role) the user holds, at any school: one query, remembered on the user
    object (every signed-in page asks twice: who needs a second factor, and the page's roles)."""
    if not user.is_authenticated:
        return ()
    roles = getattr(user, _ROLES_ATTRIBUTE, None)
    if roles is None:
        roles = tuple(SchoolRole.objects.filter(user=user).values_list("school_id", "role"))
        setattr(user, _ROLES_ATTRIBUTE, roles)
    return roles


def user_roles_at_school(user: User) -> set[str]:
    """The roles the user holds at their own school (one query, shared with
    ``user_school_roles``)."""
    if not user.is_authenticated or user.school_id is None:
        return set()
    return {role for school_id, role in user_school_roles(user) if school_id == user.school_id}


def interface_language(user: User) -> str:
    """The account's own choice of language, else its school's default, else none."""
    if user.preferred_language:
        return user.preferred_language
    return user.school.interface_language if user.school_id else ""


def champion_school(user: User) -> School:
    """The school a digital champion manages, or 404 for anyone who is not one."""
    if SchoolRole.Role.DIGITAL_CHAMPION not in user_roles_at_school(user) or not user.is_active:
        raise Http404
    return user.school


def search_words(search: str) -> list[str]:
    """A search as the folded words ``User.search_name`` holds (at most four)."""
    return [word for word in re.split(r"[\s,;]+", ascii_fold(search).lower()) if word][:4]


def school_accounts_for_champion(
    *,
    champion: User,
    search: str = "",
    kind: str = "",
    page: int | str = 1,
    status: str = "",
    password: str = "",
    sort: str = "",
    year_group: str = "",
    group: str = "",
) -> Page:
    """One page of the champion's school's accounts, searched by name, username or UPN, each
    with ``is_locked_out`` (repeated failed sign-ins), ``roles_here``, and a learner's
    ``year_group_here`` and ``group_here`` (a member of staff's: the group they tutor).

    The number of queries does not depend on the number of accounts: a count, the page's ids
    (sorted without the per-account columns, so a later page costs no more than the first),
    the page's accounts with those columns, and their roles.
    """
    accounts = school_accounts_found(
        champion=champion,
        search=search,
        kind=kind,
        status=status,
        password=password,
        sort=sort,
        year_group=year_group,
        group=group,
    )
    ids = accounts.prefetch_related(None).values_list("pk", flat=True)
    shown = Paginator(ids, settings.HWB_PAGE_SIZE).get_page(page)
    page_ids = list(shown.object_list)
    by_pk = {account.pk: account for account in accounts.filter(pk__in=page_ids)}
    shown.object_list = [by_pk[pk] for pk in page_ids if pk in by_pk]
    return shown


# The list's orders: by name (the default), username, or last sign-in either way.
ACCOUNT_ORDERS = {
    "": ("last_name", "first_name", "username"),
    "username": ("username",),
    "last_sign_in": (F("last_login").desc(nulls_last=True), "username"),
    "never_signed_in": (F("last_login").asc(nulls_first=True), "username"),
}


def school_accounts_found(
    *,
    champion: User,
    search: str = "",
    kind: str = "",
    status: str = "",
    password: str = "",
    sort: str = "",
    year_group: str = "",
    group: str = "",
) -> QuerySet:
    """Every account of the champion's school that the search and the kind find, in the list's
    order (the page shows some, the CSV download all, a bulk reset resets them).

    A UPN is matched through its keyed hash, so the raw UPN is never stored or compared.
    """
    school = champion_school(champion)
    accounts: QuerySet[User] = accounts_with_lock_state(
        User.objects.filter(school=school).select_related("school")
    )
    if kind in User.Kind.values:
        accounts = accounts.filter(kind=kind)
    search = search.strip()[:100]
    if search:
        if is_valid_upn(search.upper()):
            accounts = accounts.filter(upn_hash=upn_hash(search))
        else:
            # Every word must be part of the names or the username, in any order and with or
            # without accents: "llyr griffiths" and "Griffiths, Llŷr" both find Llŷr Griffiths.
            for word in search_words(search):
                accounts = accounts.filter(search_name__contains=word)
    if status == "active":
        accounts = accounts.filter(is_active=True)
    elif status == "deactivated":
        accounts = accounts.filter(is_active=False)
    elif status == "locked":
        accounts = accounts.filter(is_locked_out=True)
    elif status == "expiring":
        soon = timezone.localdate() + timedelta(weeks=EXPIRING_WEEKS)
        accounts = accounts.filter(is_active=True, expires_on__lte=soon)
    accounts = accounts_with_groups(accounts, school=school, year_group=year_group, group=group)
    if password == "never":  # Django's unusable passwords start with "!"
        accounts = accounts.filter(password__startswith="!")
    elif password == "one_time":
        accounts = accounts.filter(must_change_password=True).exclude(password__startswith="!")
    elif password == "own":
        accounts = accounts.filter(must_change_password=False).exclude(password__startswith="!")
    order = ACCOUNT_ORDERS.get(sort, ACCOUNT_ORDERS[""])
    accounts = accounts.order_by(*order).prefetch_related(
        Prefetch(
            "school_roles",
            queryset=SchoolRole.objects.filter(school=school).order_by("role"),
            to_attr="roles_here",
        )
    )
    return accounts


def accounts_with_groups(
    accounts: QuerySet, *, school: School, year_group: str = "", group: str = ""
) -> QuerySet:
    """``accounts`` with the year group and registration group the school's MIS gives each
    (``year_group_here``, ``group_here``: for staff, the group they tutor), filtered to the
    learners of a year group or a registration group."""
    learner = (
        mis_records("mis_learner_records")
        .all()
        .filter(account=OuterRef("pk"), school=school, leaving_date__isnull=True)
    )
    tutor = (
        mis_records("mis_staff_records")
        .all()
        .filter(account=OuterRef("pk"), school=school, leaving_date__isnull=True)
        .exclude(registration_group="")
    )
    if year_group:
        accounts = accounts.filter(Exists(learner.filter(year_group=year_group)))
    if group:  # the group's learners: a bulk reset of a group never signs its tutor out
        accounts = accounts.filter(Exists(learner.filter(registration_group=group)))
    return accounts.annotate(
        year_group_here=Subquery(learner.values("year_group")[:1]),
        group_here=Coalesce(
            Subquery(learner.exclude(registration_group="").values("registration_group")[:1]),
            Subquery(tutor.values("registration_group")[:1]),
        ),
    )


def school_groups(school: School) -> tuple[list[str], list[str]]:
    """The year groups and registration groups on the school's roll (the list's filters offer
    only these), in the contract's order and by name: two queries."""
    on_roll = (
        mis_records("mis_learner_records").all().filter(school=school, leaving_date__isnull=True)
    )
    years = set(on_roll.values_list("year_group", flat=True).distinct())
    groups = (
        on_roll.exclude(registration_group="")
        .values_list("registration_group", flat=True)
        .distinct()
        .order_by("registration_group")
    )
    return [year for year in YEAR_GROUP_ORDER if year in years], list(groups)


def school_account_kinds(school: School) -> list[tuple[str, str]]:
    """The kinds of account a school has, as choices (the list's filter offers only these)."""
    # Without the model's ordering, which DISTINCT would otherwise add to (every account).
    present = set(
        User.objects.filter(school=school).order_by().values_list("kind", flat=True).distinct()
    )
    return [(value, label) for value, label in User.Kind.choices if value in present]


def account_for_champion(*, champion: User, pk: int) -> User:
    """An account of the champion's own school (with ``is_locked_out``); any other answers 404."""
    school = champion_school(champion)
    try:
        return accounts_with_lock_state(User.objects.select_related("school")).get(
            pk=pk, school=school
        )
    except User.DoesNotExist:
        raise Http404 from None


def account_move_claim_route(*, accounts: list[User], exclude_route: str = "") -> str | None:
    """The route of an open claim on any of ``accounts`` (as either side), other than
    ``exclude_route``, or None."""
    return (
        AccountMoveClaim.objects.filter(closed_at__isnull=True)
        .filter(Q(account__in=accounts) | Q(requester__in=accounts))
        .exclude(route=exclude_route)
        .values_list("route", flat=True)
        .first()
    )


def replaced_account_successor(*, username: str, password: str) -> str:
    """For someone signing in with an account a move replaced (the fresh account their new
    school's MIS gave them, closed when their existing account moved in): the username to use
    now. Only for the right password, so it never tells a stranger whose account is whose."""
    try:
        account = User.objects.get_by_natural_key(username.strip())
    except User.DoesNotExist:
        return ""
    if account.is_active or account.deactivation_reason != User.DeactivationReason.REPLACED:
        return ""
    if not account.check_password(password):
        return ""
    move = (
        AccountMove.objects.filter(
            to_school_id=account.school_id, details__replaces=account.username
        )
        .filter(account__is_active=True)
        .select_related("account")
        .order_by("-created_at", "-pk")
        .first()
    )
    return move.account.username if move else ""


def accounts_with_stale_username(school: School, *, limit: int = 50) -> list[User]:
    """The school's active accounts whose name (changed in the MIS, say) no longer gives their
    username's base: a champion may generate a new username for each. The check runs over the
    names of the school's accounts in Python (a school has at most a few thousand: one query,
    plain tuples), then the stale ones are loaded (a second query, only when there are some)."""
    names = (
        User.objects.filter(school=school, is_active=True)
        .exclude(username_base="")
        .order_by("last_name", "first_name")
        .values_list("pk", "first_name", "last_name", "username_base")
    )
    stale_ids = []
    for pk, first_name, last_name, stored_base in names:
        if username_base(first_name=first_name, last_name=last_name) != stored_base:
            stale_ids.append(pk)
            if len(stale_ids) >= limit:
                break
    if not stale_ids:
        return []
    order = {pk: position for position, pk in enumerate(stale_ids)}
    stale = User.objects.filter(pk__in=stale_ids).only(
        "pk", "first_name", "last_name", "username", "username_base", "kind"
    )
    return sorted(stale, key=lambda account: order[account.pk])


def learners_of_tutor(tutor: User) -> tuple[list[str], list[User]]:
    """The registration groups a teacher tutors and their learners, by group and name (with
    ``group_here``): two queries and one for the page's session."""
    groups = tutor_groups(tutor)
    learners = accounts_with_groups(tutored_learners(tutor), school=tutor.school)
    return groups, list(learners.order_by("group_here", "last_name", "first_name", "username"))


def authority_administered(user: User) -> LocalAuthority:
    """The local authority whose own staff accounts ``user`` manages, or 404."""
    if authority_admin_id(user) is None:
        raise Http404
    return user.local_authority


def authority_accounts(*, admin: User, page: int | str = 1) -> Page:
    """One page of the accounts the admin's authority made for its own staff (with
    ``is_locked_out``): a count and a page, whatever the number."""
    authority = authority_administered(admin)
    accounts = accounts_with_lock_state(
        User.objects.filter(school=None, local_authority=authority).exclude(non_mis_purpose="")
    ).order_by("-is_active", "last_name", "first_name", "username")
    return Paginator(accounts, settings.HWB_PAGE_SIZE).get_page(page)


def authority_account(*, admin: User, pk: int) -> User:
    """One of the admin's authority's own staff accounts; any other answers 404."""
    authority = authority_administered(admin)
    try:
        return accounts_with_lock_state(User.objects.select_related("local_authority")).get(
            pk=pk, school=None, local_authority=authority, non_mis_purpose__gt=""
        )
    except User.DoesNotExist:
        raise Http404 from None
