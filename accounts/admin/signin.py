"""The Hwb team's pages for failed sign-ins (django-axes' records, read-only): locks are lifted
through the audited services, on these pages and on the accounts list, never by deleting rows."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdmin
from core.http import client_ip

from .. import services, signin
from ..models import User


class LockedOutFilter(admin.SimpleListFilter):
    """Accounts locked after failed sign-ins (the queryset carries ``is_locked_out``)."""

    title = _("locked after failed sign-ins")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Locked")), ("no", _("Not locked"))]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(is_locked_out=self.value() == "yes")
        return queryset


def accounts_unlock(model_admin, request, accounts) -> None:
    """Lift the locks through the same service as the champions' Unlock (each one audited)."""
    unlocked = 0
    for account in accounts:
        try:
            services.account_unlock(
                actor=request.user, account=account, ip_address=client_ip(request)
            )
            unlocked += 1
        except services.AccountError as error:
            model_admin.message_user(request, f"{account.username}: {error}", messages.WARNING)
    if unlocked:
        model_admin.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", unlocked)
            % {"count": unlocked},
            messages.SUCCESS,
        )


@admin.register(AccessAttempt)
class SignInFailureAdmin(ReadOnlyAdmin):
    """Failed sign-ins within the cool-off (django-axes). Locks are lifted by the actions, which
    go through the audited services, never by deleting rows."""

    list_display = ("when", "username", "ip_address", "failures", "state", "path_info")
    list_filter = ("attempt_time", "path_info")
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    fields = (
        "attempt_time",
        "username",
        "ip_address",
        "failures_since_start",
        "path_info",
        "user_agent",
    )
    actions = ["unlock_accounts", "unlock_addresses"]

    def get_queryset(self, request):
        return signin.attempts_with_lock_state(super().get_queryset(request))

    @admin.display(description=_("last failed"), ordering="attempt_time")
    def when(self, attempt: AccessAttempt):
        return attempt.attempt_time

    @admin.display(description=_("failed attempts"), ordering="failures_since_start")
    def failures(self, attempt: AccessAttempt) -> int:
        return attempt.failures_since_start

    @admin.display(description=_("the username's lock now"))
    def state(self, attempt: AccessAttempt) -> str:
        return signin.lock_state_text(
            failures=attempt.username_failures, last=attempt.username_last
        )

    @admin.action(description=_("Unlock the accounts of the selected usernames"))
    def unlock_accounts(self, request, queryset):
        usernames = set(queryset.values_list("username", flat=True))
        accounts_unlock(self, request, User.objects.filter(username__in=usernames))

    @admin.action(description=_("Lift the pause on the selected addresses"))
    def unlock_addresses(self, request, queryset):
        for address in sorted(set(queryset.values_list("ip_address", flat=True)) - {None}):
            try:
                services.signin_address_unlock(
                    actor=request.user, address=address, ip_address=client_ip(request)
                )
                self.message_user(
                    request,
                    _("Signing in from %(address)s is no longer paused.") % {"address": address},
                    messages.SUCCESS,
                )
            except services.AccountError as error:
                self.message_user(request, f"{address}: {error}", messages.WARNING)


@admin.register(AccessFailureLog)
class SignInFailureLogAdmin(ReadOnlyAdmin):
    """Every failed sign-in, kept HWB_SIGNIN_RECORDS_DAYS days."""

    list_display = ("attempt_time", "username", "ip_address", "locked_out", "path_info")
    list_filter = ("locked_out", "attempt_time")
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"


@admin.register(AccessLog)
class SignInLogAdmin(ReadOnlyAdmin):
    """Every sign-in and sign-out, kept HWB_SIGNIN_RECORDS_DAYS days."""

    list_display = ("attempt_time", "logout_time", "username", "ip_address", "path_info")
    list_filter = ("attempt_time",)
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
