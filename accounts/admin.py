"""The Hwb team's view of accounts, school roles and the (read-only) audit log."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from schools.identifiers import is_valid_upn, upn_hash

from .models import AuditEntry, RetiredUsername, SchoolRole, User


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
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_username", "action", "target_repr", "school", "ip_address")
    list_filter = ("action", "created_at")
    search_fields = ("actor_username", "target_repr", "target_id", "school__dfes_number")
    list_select_related = ("school",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
