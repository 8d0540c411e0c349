"""The Hwb team's workplace for service-desk requests: raise one on someone's behalf, ask the
previous organisation for written authorisation, record one received another way, process,
cancel, and download the authorisation document (staff only, always as an attachment).

Every button calls one service in service_desk.services; nothing here writes rows itself.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import EventInline, ReadOnlyAdmin
from core.http import client_ip
from provisioning import matching
from transfers.rules import TransferError, transfer_identity

from . import authorisation, selectors, services
from .forms import AuthorisationForm, DeskAskForm, DeskRaiseForm, DeskRecordForm
from .models import ServiceDeskEvent, ServiceDeskRequest

Status = ServiceDeskRequest.Status


class ServiceDeskEventInline(EventInline):
    model = ServiceDeskEvent


@admin.register(ServiceDeskRequest)
class ServiceDeskRequestAdmin(admin.ModelAdmin):
    """Every request, read-only; its change page has the desk's buttons, each one service."""

    list_display = (
        "id",
        "created_at",
        "requester_username",
        "new_school",
        "previous_username",
        "previous_school",
        "status",
        "authorisation_method",
        "finished_at",
    )
    list_filter = ("status", "authorisation_method", "created_at")
    search_fields = (
        "requester_username",
        "previous_username",
        "new_school__dfes_number",
        "previous_school__dfes_number",
        "authoriser_name",
    )
    list_select_related = ("new_school", "previous_school")
    date_hierarchy = "created_at"
    inlines = [ServiceDeskEventInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "status",
                    "created_at",
                    "requester_username",
                    "new_school",
                    "raised_by_username",
                    "previous_username",
                    "previous_school",
                    "same_person",
                    "note",
                )
            },
        ),
        (
            _("Written authorisation"),
            {
                "fields": (
                    "authoriser_email",
                    "authorisation_requested_at",
                    "authorisation_method",
                    "authoriser_name",
                    "authoriser_role",
                    "authoriser_statement",
                    "authorised_at",
                    "document_link",
                )
            },
        ),
        (_("Outcome"), {"fields": ("processed_by", "finished_at")}),
    )
    readonly_fields = (
        "status",
        "created_at",
        "requester_username",
        "new_school",
        "raised_by_username",
        "previous_username",
        "previous_school",
        "same_person",
        "note",
        "authoriser_email",
        "authorisation_requested_at",
        "authorisation_method",
        "authoriser_name",
        "authoriser_role",
        "authoriser_statement",
        "authorised_at",
        "document_link",
        "processed_by",
        "finished_at",
    )

    # Rows change only through the services: the change form saves nothing.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_desk_permission(self, request: HttpRequest) -> bool:
        """The desk's buttons need the Hwb team's change permission on service-desk requests."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.display(description=_("authorisation document"))
    def document_link(self, desk_request: ServiceDeskRequest) -> str:
        if not desk_request.authorisation_document:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:service_desk_servicedeskrequest_document", args=[desk_request.pk]),
            gettext("Download the document"),
        )

    @admin.display(description=_("same person?"))
    def same_person(self, desk_request: ServiceDeskRequest) -> str:
        """The staff matcher's judgement of the two accounts now, as Account Transfer judges
        them (the requester's new-school MIS record against the previous account's)."""
        requester, previous = desk_request.requester, desk_request.previous_account
        if requester is None or previous is None or requester.school_id is None:
            return "–"
        judgement = transfer_identity(
            requester=requester,
            previous_school=desk_request.previous_school,
            previous_account=previous,
        )
        confidence = {
            matching.SURE: gettext("Sure: both MIS records agree"),
            matching.DOUBTFUL: gettext("Doubtful: check both people"),
        }.get(judgement.confidence, gettext("No match: the records describe someone else"))
        reasons = ", ".join(str(matching.REASON_LABELS.get(c, c)) for c in judgement.reasons)
        return f"{confidence} ({reasons})" if reasons else confidence

    def get_urls(self):
        opts = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/ask/", view(self.ask_view), name=f"{prefix}_ask"),
            path("<int:object_id>/record/", view(self.record_view), name=f"{prefix}_record"),
            path("<int:object_id>/process/", view(self.process_view), name=f"{prefix}_process"),
            path("<int:object_id>/cancel/", view(self.cancel_view), name=f"{prefix}_cancel"),
            path("<int:object_id>/document/", view(self.document_view), name=f"{prefix}_document"),
            *super().get_urls(),
        ]

    # --- Pages ---------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_act": self.has_desk_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _render(
        self, request: HttpRequest, desk_request, *, title: str, form=None, template: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": desk_request,
            "title": title,
            "form": form,
            "authorisers": selectors.service_desk_authorisers(desk_request=desk_request)
            if desk_request
            else [],
        }
        return TemplateResponse(
            request, f"admin/service_desk/servicedeskrequest/{template}", context
        )

    def _desk_request(self, request: HttpRequest, object_id) -> ServiceDeskRequest:
        if not self.has_desk_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            ServiceDeskRequest.objects.select_related(
                "previous_school", "new_school", "previous_account", "requester"
            ),
            pk=object_id,
        )

    def _back(self, desk_request: ServiceDeskRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:service_desk_servicedeskrequest_change", args=[desk_request.pk])
        )

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        """Raise a request on someone's behalf: the same service, the same rules."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DeskRaiseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                desk_request = services.service_desk_request_raise(
                    requester=data["requester_username"],
                    previous_dfes=data["dfes_number"],
                    previous_username=data["previous_username"],
                    note=data["note"],
                    raised_by=request.user,
                    ip_address=client_ip(request),
                )
            except TransferError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    gettext("Request #%(pk)s raised; the member of staff has been emailed.")
                    % {"pk": desk_request.pk},
                    messages.SUCCESS,
                )
                return self._back(desk_request)
        return self._render(
            request,
            None,
            title=gettext("Raise a service-desk request on someone's behalf"),
            form=form,
            template="desk_form.html",
        )

    def ask_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        desk_request = self._desk_request(request, object_id)
        form = DeskAskForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                authorisation.service_desk_authorisation_ask(
                    request_id=desk_request.pk,
                    actor=request.user,
                    email=form.cleaned_data["email"],
                    ip_address=client_ip(request),
                )
            except TransferError as error:
                form.add_error(None, str(error))
            else:
                desk_request.refresh_from_db()
                self.message_user(
                    request,
                    gettext("Written authorisation asked of %(email)s.")
                    % {"email": desk_request.events.last().note},
                    messages.SUCCESS,
                )
                return self._back(desk_request)
        return self._render(
            request,
            desk_request,
            title=gettext("Ask the previous organisation for written authorisation"),
            form=form,
            template="desk_form.html",
        )

    def record_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        desk_request = self._desk_request(request, object_id)
        form = DeskRecordForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                authorisation.service_desk_authorisation_record(
                    request_id=desk_request.pk,
                    actor=request.user,
                    authorise=data["decision"] == AuthorisationForm.AUTHORISE,
                    name=data["full_name"],
                    role=data["role"],
                    statement=data["statement"],
                    document=data["document"],
                    ip_address=client_ip(request),
                )
            except TransferError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, gettext("Answer recorded."), messages.SUCCESS)
                return self._back(desk_request)
        return self._render(
            request,
            desk_request,
            title=gettext("Record authorisation received another way"),
            form=form,
            template="desk_form.html",
        )

    def _confirm_view(self, request, object_id, *, service, title: str, done: str):
        desk_request = self._desk_request(request, object_id)
        if request.method == "POST":
            try:
                service(
                    request_id=desk_request.pk,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except TransferError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
            return self._back(desk_request)
        return self._render(request, desk_request, title=title, template="desk_confirm.html")

    def process_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._confirm_view(
            request,
            object_id,
            service=services.service_desk_request_process,
            title=gettext("Process: move the account"),
            done=gettext("Account moved; both accounts have been signed out."),
        )

    def cancel_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._confirm_view(
            request,
            object_id,
            service=services.service_desk_request_cancel,
            title=gettext("Cancel the request"),
            done=gettext("Request cancelled; the member of staff has been emailed."),
        )

    def document_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        """The document, to the Hwb team only, always downloaded (never shown inline)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        desk_request = get_object_or_404(ServiceDeskRequest, pk=object_id)
        document = desk_request.authorisation_document
        if not document:
            raise Http404
        try:
            handle = document.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        kind = authorisation.authorisation_document_kind(handle.read(16))
        handle.seek(0)
        extension, content_type = kind or ("bin", "application/octet-stream")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"service-desk-{desk_request.pk}-authorisation.{extension}",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(ServiceDeskEvent)
class ServiceDeskEventAdmin(ReadOnlyAdmin):
    """Every service-desk request's timeline in one list (read-only)."""

    list_display = ("created_at", "request", "action", "actor_username", "note")
    list_filter = ("action",)
    search_fields = ("request__requester_username", "request__previous_username")
    list_select_related = ("request",)
