"""The records only services write: the audit log, account moves,
the outbox, retired usernames, username counters (all read-only). Accounts and school roles are
in ``accounts.admin.accounts`` and ``roles``."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdmin

from ..emails import email_deliver
from ..models import (
    AccountMove,
    AccountMoveClaim,
    AuditEntry,
    OutboundEmail,
    RetiredUsername,
    UsernameAlias,
    UsernameCounter,
)

# No bulk delete anywhere: deleting rows in bulk would go round the services (and their audit
# entries) that every change here goes through. Accounts are deleted by the retention job.
admin.site.disable_action("delete_selected")


@admin.register(RetiredUsername)
class RetiredUsernameAdmin(ReadOnlyAdmin):
    """Usernames are retired by the deletion job; one freed here could be given to someone else."""

    list_display = ("username", "retired_at")
    search_fields = ("username",)


@admin.register(UsernameAlias)
class UsernameAliasAdmin(ReadOnlyAdmin):
    """Former usernames after a change of name: they sign in until their date."""

    list_display = ("username", "account", "until")
    search_fields = ("username", "account__username")
    list_select_related = ("account",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_username", "action", "target_repr", "school", "ip_address")
    list_filter = ("action", "created_at")
    search_fields = ("actor_username", "target_repr", "target_id", "school__dfes_number")
    list_select_related = ("school",)
    date_hierarchy = "created_at"


@admin.register(AccountMove)
class AccountMoveAdmin(ReadOnlyAdmin):
    """Every account move, by whichever path made it: a record, never edited."""

    list_display = (
        "created_at",
        "account_username",
        "from_school",
        "to_school",
        "reason",
        "actor_username",
    )
    list_filter = ("reason", "created_at")
    search_fields = (
        "account_username",
        "from_school__dfes_number",
        "to_school__dfes_number",
        "actor_username",
    )
    list_select_related = ("from_school", "to_school")
    date_hierarchy = "created_at"


@admin.register(AccountMoveClaim)
class AccountMoveClaimAdmin(ReadOnlyAdmin):
    """Open and closed requests to move an account, whichever route: read-only, the routes'
    services open and close them."""

    list_display = ("opened_at", "account", "requester", "route", "closed_at")
    list_filter = ("route", ("closed_at", admin.EmptyFieldListFilter))
    search_fields = ("account__username", "requester__username")
    list_select_related = ("account", "requester")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """The outbox: what was sent to whom, and what is still waiting (with why)."""

    list_display = ("created_at", "to", "subject", "language", "sent_at", "attempts")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "template", "language")
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    actions = ["send_again_now"]

    @admin.action(description=_("Send again now (unsent emails only)"))
    def send_again_now(self, request, queryset):
        sent = skipped = 0
        for email_id in queryset.values_list("pk", flat=True):
            try:
                if email_deliver(email_id=email_id):
                    sent += 1
                else:
                    skipped += 1
            except OSError as error:  # SMTP errors are OSErrors; the row records the attempt
                self.message_user(
                    request,
                    _("Email %(id)s could not be sent: %(error)s")
                    % {"id": email_id, "error": error},
                    messages.ERROR,
                )
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d email sent.", "%(count)d emails sent.", sent) % {"count": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email had been sent already and was not sent again.",
                    "%(count)d emails had been sent already and were not sent again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(UsernameCounter)
class UsernameCounterAdmin(ReadOnlyAdmin):
    """Read-only: the highest number given per username base."""

    list_display = ("username_base", "last_number")
    search_fields = ("username_base",)
