"""The Hwb team's view of Account Transfer requests: read-only, each with its timeline."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import EventInline, ReadOnlyAdmin

from .models import TransferEvent, TransferRequest


class TransferEventInline(EventInline):
    model = TransferEvent


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyAdmin):
    """Every request and what became of it: the services change them, never the admin."""

    list_display = (
        "id",
        "created_at",
        "previous_username",
        "previous_holder_name",
        "previous_school",
        "requester_username",
        "new_school",
        "match_confidence",
        "approver",
        "status",
        "decided_by_name",
        "finished_at",
    )
    list_filter = ("status", "match_confidence", "approver", "created_at")
    search_fields = (
        "previous_username",
        "previous_holder_name",
        "requester_username",
        "previous_school__dfes_number",
        "new_school__dfes_number",
        "decided_by_name",
    )
    list_select_related = ("previous_school", "new_school")
    date_hierarchy = "created_at"
    exclude = ("link_nonce", "match_reasons")
    readonly_fields = ("match_reasons_text",)
    inlines = [TransferEventInline]

    @admin.display(description=_("why"))
    def match_reasons_text(self, transfer: TransferRequest) -> str:
        return ", ".join(transfer.match_reason_labels) or "–"


@admin.register(TransferEvent)
class TransferEventAdmin(ReadOnlyAdmin):
    """Every request's timeline in one list (read-only)."""

    list_display = ("created_at", "request", "action", "actor_username")
    list_filter = ("action",)
    search_fields = ("request__requester_username", "request__previous_username")
    list_select_related = ("request",)
