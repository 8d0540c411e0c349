"""The Hwb team's view of accounts, school roles and the (read-only) audit log."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from schools.identifiers import is_valid_upn, upn_hash

from .admin_second_factor import second_factor_reset_action
from .emails import email_deliver
from .models import (
    AccountMove,
    AuditEntry,
    OutboundEmail,
    RetiredUsername,
    SchoolRole,
    User,
    UsernameCounter,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For what only the services write: the Hwb team reads it here and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows only the services write, listed on their parent's page: every field read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    """A request's or notice's timeline: when, what, who, and a note."""

    fields = ("created_at", "action", "actor_username", "note")


class SchoolRoleInline(admin.TabularInline):
    model = SchoolRole
    extra = 0
    autocomplete_fields = ("school",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "kind", "school", "is_active")
    list_filter = ("kind", "is_active", "must_change_password", "school__local_authority")
    search_fields = ("username", "first_name", "last_name", "email", "school__dfes_number")
    list_select_related = ("school",)
    ordering = ("username",)
    autocomplete_fields = ("school",)
    # Usernames are generated (and never reused), so the admin shows them but does not edit them.
    readonly_fields = ("username", "upn_hash", "last_login", "date_joined", "deactivated_at")
    inlines = [SchoolRoleInline]
    actions = [second_factor_reset_action]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "preferred_language")}),
        (_("Hwb"), {"fields": ("kind", "school", "local_authority", "upn_hash")}),
        (
            _("Status"),
            {
                "fields": (
                    "is_active",
                    "must_change_password",
                    "deactivated_at",
                    "deletion_due_at",
                    "last_login",
                    "date_joined",
                )
            },
        ),
        (_("Hwb team"), {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
    )

    def has_add_permission(self, request):
        # Accounts come from the MIS (provisioning) or the services, which generate usernames.
        return False

    def get_search_results(self, request, queryset, search_term):
        """A search for a UPN finds the learner through the keyed hash."""
        term = search_term.strip().upper()
        if is_valid_upn(term):
            return queryset.filter(upn_hash=upn_hash(term)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(SchoolRole)
class SchoolRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "school", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "school__dfes_number", "school__name_en")
    list_select_related = ("user", "school")
    autocomplete_fields = ("user", "school")


@admin.register(RetiredUsername)
class RetiredUsernameAdmin(admin.ModelAdmin):
    list_display = ("username", "retired_at")
    search_fields = ("username",)

    def has_change_permission(self, request, obj=None):
        return False


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
