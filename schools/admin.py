"""The Hwb team's view of local authorities and schools."""

from django.contrib import admin

from .models import LocalAuthority, School


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_cy")
    search_fields = ("code", "name_en", "name_cy")

    def has_add_permission(self, request):
        return False  # the 22 authorities come from a data migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("dfes_number", "name_en", "local_authority", "phase", "status", "successor")
    list_filter = ("status", "phase", "interface_language", "local_authority")
    search_fields = ("dfes_number", "name_en", "name_cy")
    list_select_related = ("local_authority", "successor")
    autocomplete_fields = ("successor",)
    readonly_fields = ("created_at", "updated_at")

    def has_delete_permission(self, request, obj=None):
        # Deleting a school would take its roles and MIS records with it, round every service;
        # schools close through the local authority's notice instead.
        return False
