"""The Hwb team's page of learners' moves held for review: both records side by side, and
**Move the account** or **Keep them apart**, each through its service (audited)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin
from core.http import client_ip

from .held_moves import held_move_keep_apart, held_move_move
from .messages import held_move_reasons
from .models import HeldLearnerMove, MisLearner
from .services import ProvisioningError

Status = HeldLearnerMove.Status


@admin.register(HeldLearnerMove)
class HeldLearnerMoveAdmin(ReadOnlyAdmin):
    """Every held move, read-only; the decision is the two buttons on an open one's page."""

    list_display = ("id", "account", "from_school", "to_school", "status", "created_at")
    list_filter = ("status", "to_school__local_authority")
    search_fields = (
        "account__username",
        "from_school__dfes_number",
        "to_school__dfes_number",
        "surname",
    )
    list_select_related = ("account", "from_school", "to_school")
    date_hierarchy = "created_at"
    fields = (
        "account",
        "from_school",
        "to_school",
        "status",
        "reasons_text",
        "created_at",
        "run",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields

    def has_decide_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.display(description=_("why it was held"))
    def reasons_text(self, hold: HeldLearnerMove) -> str:
        return "; ".join(held_move_reasons(hold.reasons)) or "–"

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name=f"{opts.app_label}_{opts.model_name}_move",
            ),
            path(
                "<path:object_id>/keep-apart/",
                self.admin_site.admin_view(self.keep_apart_view),
                name=f"{opts.app_label}_{opts.model_name}_keep_apart",
            ),
            *super().get_urls(),
        ]

    def _decide(self, request: HttpRequest, object_id: str, *, move: bool):
        if not self.has_decide_permission(request):
            raise PermissionDenied
        hold = get_object_or_404(self.get_queryset(request), pk=object_id)
        service = held_move_move if move else held_move_keep_apart
        try:
            hold = service(hold=hold, actor=request.user, ip_address=client_ip(request))
        except ProvisioningError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            if move:
                text = gettext("The account moved to %(school)s. Both schools have been told.")
            else:
                text = gettext(
                    "The learners are kept apart: the account stays at its school, and "
                    "%(school)s has been told to check the UPN in its MIS."
                )
            self.message_user(request, text % {"school": hold.to_school}, messages.SUCCESS)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[hold.pk])
        )

    @method_decorator(require_POST)
    def move_view(self, request: HttpRequest, object_id: str):
        return self._decide(request, object_id, move=True)

    @method_decorator(require_POST)
    def keep_apart_view(self, request: HttpRequest, object_id: str):
        return self._decide(request, object_id, move=False)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        hold = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        if hold is not None:
            extra_context["comparison"] = _comparison(hold)
        return super().change_view(request, object_id, form_url, extra_context)


def _comparison(hold: HeldLearnerMove) -> list[tuple[str, MisLearner | None, str]]:
    """The account's own MIS record and the claiming one, side by side (two queries)."""
    records = {
        record.school_id: record
        for record in MisLearner.objects.filter(
            school_id__in=[hold.from_school_id, hold.to_school_id],
            upn_hash=hold.account.upn_hash,
        ).select_related("school")
    }
    return [
        (gettext("The account's school"), records.get(hold.from_school_id), hold.from_school),
        (gettext("The school claiming it"), records.get(hold.to_school_id), hold.to_school),
    ]
