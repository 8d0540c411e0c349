"""The Hwb team's workplace for staff match lists (mergers and closures): read the rows, propose
matches, approve a submitted list (the accounts then move), or return it with a note."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.http import client_ip
from school_changes.forms.staff_matches import ReturnNoteForm
from school_changes.models import SchoolNotice, StaffMatch, StaffMatchList
from school_changes.selectors.staff_matches import reason_text
from school_changes.services import staff_matches as mergers


class StaffMatchInline(ReadOnlyInline):
    model = StaffMatch
    fields = (
        "account_username",
        "from_school",
        "proposed_record",
        "confidence",
        "score",
        "reasons_text",
        "decision",
        "record",
        "outcome",
        "skip_reason",
        "moved_at",
    )

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("from_school", "proposed_record", "record")
        )

    @admin.display(description=_("reasons"))
    def reasons_text(self, match: StaffMatch) -> str:
        return ", ".join(reason_text(code) for code in match.reasons or []) or "–"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffMatchList)
class StaffMatchListAdmin(ReadOnlyAdmin):
    """Each list and its rows; the buttons call the merger services, never the ORM."""

    list_display = (
        "notice",
        "status",
        "submitted_by_username",
        "submitted_at",
        "approved_by_username",
        "will_move",
        "moved",
        "skipped",
        "finished_at",
    )
    list_filter = ("status", "notice__kind", "notice__local_authority")
    search_fields = ("notice__new_school_name", "submitted_by_username", "approved_by_username")
    list_select_related = ("notice",)
    readonly_fields = (
        "notice",
        "status",
        "proposed_at",
        "submitted_by_username",
        "submitted_at",
        "approved_by_username",
        "approved_at",
        "move_on",
        "hwb_note",
        "started_at",
        "finished_at",
        "to_move",
        "moved",
        "skipped",
        "job_runs",
    )
    fields = readonly_fields
    inlines = [StaffMatchInline]
    change_form_template = "admin/school_changes/staffmatchlist/change_form.html"

    def get_queryset(self, request):
        # Before approval, how many accounts the list would move (the rows given a record).
        chosen = Q(
            matches__record__isnull=False,
            matches__decision__in=(StaffMatch.Decision.CONFIRMED, StaffMatch.Decision.CORRECTED),
        )
        return super().get_queryset(request).annotate(chosen=Count("matches", filter=chosen))

    @admin.display(description=_("accounts to move"))
    def will_move(self, match_list: StaffMatchList) -> int:
        if match_list.status in (StaffMatchList.Status.PROPOSED, StaffMatchList.Status.SUBMITTED):
            return match_list.chosen
        return match_list.to_move

    def has_decide_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def get_urls(self):
        opts = self.opts
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name=f"{name}_approve",
            ),
            path(
                "<path:object_id>/move-again/",
                self.admin_site.admin_view(self.move_again_view),
                name=f"{name}_move_again",
            ),
            path(
                "<path:object_id>/return/",
                self.admin_site.admin_view(self.return_view),
                name=f"{name}_return",
            ),
            path(
                "propose/<int:notice_id>/",
                self.admin_site.admin_view(self.propose_view),
                name=f"{name}_propose",
            ),
            *super().get_urls(),
        ]

    def _change_url(self, match_list: StaffMatchList) -> str:
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[match_list.pk])

    def approve_view(self, request: HttpRequest, object_id: str):
        """GET: what approving does (how many accounts move, and when); POST: approve."""
        if not self.has_decide_permission(request):
            raise PermissionDenied
        match_list = get_object_or_404(
            self.get_queryset(request).select_related("notice"), pk=object_id
        )
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": match_list,
                "title": gettext("Approve and move accounts"),
                "moves_later": match_list.notice.effective_date > timezone.localdate(),
            }
            return TemplateResponse(
                request, "admin/school_changes/staffmatchlist/approve.html", context
            )
        try:
            match_list = mergers.staff_match_list_approve(
                match_list_id=match_list.pk, actor=request.user, ip_address=client_ip(request)
            )
        except mergers.MergerError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Approved: %(count)d accounts will move on %(date)s, the notice's date.")
                % {"count": match_list.to_move, "date": date_format(match_list.move_on, "j F Y")}
                if match_list.moves_later
                else gettext(
                    "Approved: %(count)d accounts are being moved. The page shows the progress."
                )
                % {"count": match_list.to_move},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(match_list))

    @method_decorator(require_POST)
    def move_again_view(self, request: HttpRequest, object_id: str):
        if not self.has_decide_permission(request):
            raise PermissionDenied
        match_list = get_object_or_404(StaffMatchList, pk=object_id)
        try:
            mergers.staff_matches_move_again(
                match_list_id=match_list.pk, actor=request.user, ip_address=client_ip(request)
            )
        except mergers.MergerError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("The move job has been queued again; it carries on where it stopped."),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(match_list))

    def return_view(self, request: HttpRequest, object_id: str):
        """GET: the note form; POST: send the list back to the local authority."""
        if not self.has_decide_permission(request):
            raise PermissionDenied
        match_list = get_object_or_404(
            StaffMatchList.objects.select_related("notice"), pk=object_id
        )
        form = ReturnNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                mergers.staff_match_list_return(
                    match_list_id=match_list.pk,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    ip_address=client_ip(request),
                )
            except mergers.MergerError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("The list has been returned to the local authority with your note."),
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(self._change_url(match_list))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": match_list,
            "form": form,
            "title": gettext("Return to the local authority"),
        }
        return TemplateResponse(request, "admin/school_changes/staffmatchlist/return.html", context)

    @method_decorator(require_POST)
    def propose_view(self, request: HttpRequest, notice_id: int):
        if not self.has_decide_permission(request):
            raise PermissionDenied
        notice = get_object_or_404(SchoolNotice, pk=notice_id)
        try:
            match_list = mergers.staff_matches_propose(
                notice=notice, actor=request.user, ip_address=client_ip(request)
            )
        except mergers.MergerError as error:
            self.message_user(request, str(error), messages.ERROR)
            existing = StaffMatchList.objects.filter(notice=notice).first()
            if existing:
                return HttpResponseRedirect(self._change_url(existing))
            return HttpResponseRedirect(reverse("admin:school_changes_staffmatchlist_changelist"))
        self.message_user(
            request,
            gettext("Matches proposed for %(count)d staff accounts; the officer has been emailed.")
            % {"count": match_list.matches.count()},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(match_list))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(StaffMatch)
class StaffMatchAdmin(ReadOnlyAdmin):
    """Every row of every list, to search across them (for example: what became of one
    username). Read-only: rows change only through the review and the move job."""

    list_display = (
        "account_username",
        "from_school",
        "match_list",
        "confidence",
        "score",
        "decision",
        "record",
        "outcome",
        "skip_reason",
        "moved_at",
    )
    list_filter = ("confidence", "decision", "outcome")
    search_fields = ("account_username", "from_school__dfes_number")
    list_select_related = ("from_school", "match_list__notice", "record")


@admin.action(description=_("Propose staff matches"))
def notice_staff_matches_propose(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    """From the notices list: propose (or propose again) each chosen notice's staff matches."""
    if not request.user.has_perm("school_changes.change_staffmatchlist"):
        raise PermissionDenied
    for notice in queryset:
        try:
            match_list = mergers.staff_matches_propose(
                notice=notice, actor=request.user, ip_address=client_ip(request)
            )
        except mergers.MergerError as error:
            modeladmin.message_user(
                request,
                gettext("Notice %(notice)s: %(error)s") % {"notice": notice.pk, "error": error},
                messages.ERROR,
            )
        else:
            modeladmin.message_user(
                request,
                gettext("Notice %(notice)s: matches proposed for %(count)d staff accounts.")
                % {"notice": notice.pk, "count": match_list.matches.count()},
                messages.SUCCESS,
            )
