"""A school's activity page: what was done to its accounts, by whom and when, read from the audit
log, for its headteacher and digital champions (never addresses: those are the Hwb team's)."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from schools.models import School

from .models import AuditEntry, SchoolRole, User
from .selectors import user_roles_at_school

# What a school's people may read of the audit log, in words, by group (the page's filter).
ACTIVITY = {
    "accounts": {
        "account.created": _("Account created"),
        "account.deactivated": _("Account closed"),
        "account.restored": _("Account reopened"),
        "account.reactivated": _("Account reopened"),
        "account.updated": _("Details changed"),
        "account.moved": _("Account moved between schools"),
        "account.renamed": _("Name changed"),
        "account.expiry_set": _("Expiry date set"),
        "account.close_at_expiry": _("Set to close at its expiry date"),
        "account.upn_replaced": _("Temporary UPN replaced by the permanent one"),
    },
    "passwords": {
        "account.password_reset": _("Password reset"),
        "account.password_changed": _("Password changed by its holder"),
        "account.password_set": _("Password set"),
        "account.unlocked": _("Unlocked after failed sign-ins"),
        "account.second_factor_reset": _("Two-step verification reset"),
        "school.primary_passwords_kept": _("Primary learners' first sign-in changed"),
    },
    "downloads": {
        "accounts.downloaded": _("Account list downloaded"),
        "credentials.downloaded": _("New passwords downloaded"),
    },
    "roles": {
        "school_role.granted": _("Role given"),
        "school_role.revoked": _("Role taken away"),
    },
}
GROUPS = {
    "accounts": _("Accounts created, renamed, closed and moved"),
    "passwords": _("Passwords and unlocking"),
    "roles": _("Headteacher and digital champion roles"),
    "downloads": _("Downloads of accounts and passwords"),
}
LABELS = {action: label for group in ACTIVITY.values() for action, label in group.items()}
ROLE_LABELS = dict(SchoolRole.Role.choices)


def activity_school(user: User) -> School:
    """The school whose activity ``user`` may read (its headteacher or a champion), or 404."""
    roles = user_roles_at_school(user)
    if not user.is_active or not roles & {
        SchoolRole.Role.HEADTEACHER,
        SchoolRole.Role.DIGITAL_CHAMPION,
    }:
        raise Http404
    return user.school


def school_activity(*, school: School, group: str = "", search: str = "", page=1) -> Page:
    """One page of the school's account activity, newest first, each entry with ``what`` in
    words; ``group`` one of ACTIVITY's keys, ``search`` part of the account's or the actor's
    username. A count and a page: two queries, whatever the log's size."""
    actions = list(ACTIVITY.get(group, LABELS))
    entries = AuditEntry.objects.filter(school=school, action__in=actions)
    search = search.strip().lower()[:64]
    if search:
        entries = entries.filter(target_repr__icontains=search) | entries.filter(
            actor_username__icontains=search
        )
    entries = entries.only(
        "created_at", "actor_username", "action", "target_repr", "details"
    ).order_by("-created_at", "-id")
    found = Paginator(entries, settings.HWB_PAGE_SIZE).get_page(page)
    for entry in found.object_list:
        entry.what = LABELS.get(entry.action, entry.action)
        role = (entry.details or {}).get("role")
        entry.role = ROLE_LABELS.get(role, "") if role else ""
    return found
