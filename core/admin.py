"""Admin bases for what only the services write: read-only pages and timeline inlines."""

from django.contrib import admin


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
