"""The Hwb team's workplace for local-authority notices: each step a small form, a service call,
an audit entry and an email to the officer."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.admin import EventInline, ReadOnlyAdmin
from core.http import client_ip
from school_changes.admin.staff_matches import notice_staff_matches_propose
from school_changes.models import SchoolNotice, SchoolNoticeEvent
from school_changes.rules import NAME_MAX, NOTE_MAX, NoticeError
from school_changes.services import notices
from schools.models import School


class SchoolNoticeEventInline(EventInline):
    model = SchoolNoticeEvent


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the local authority (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=_("Why the notice is declined (the officer reads this)"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


class SchoolCreateForm(forms.Form):
    dfes_number = forms.CharField(label=_("DfES number"), max_length=9)
    name_en = forms.CharField(label=_("name (English)"), max_length=NAME_MAX)
    name_cy = forms.CharField(label=_("name (Welsh)"), max_length=NAME_MAX, required=False)
    phase = forms.ChoiceField(label=_("phase"), choices=School.Phase.choices)


class ContinuingSchoolForm(forms.Form):
    """A merger whose school continues: nothing to fill in; the notice names the school."""


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button is the confirmation."""


class SuccessorForm(forms.Form):
    successor = forms.ModelChoiceField(
        label=_("Successor school (where its staff and learners go)"),
        queryset=School.objects.none(),
        required=False,
        empty_label=_("No successor school"),
    )

    def __init__(self, *args, notice: SchoolNotice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = notice.receiving_schools.all()


# Each step: its title, what it does (shown above its button), and the statuses it is offered in.
NOTICE_STEPS = {
    "accept": (
        _("Start work on this notice"),
        _("The notice becomes “being set up”; the officer can no longer withdraw it."),
        (SchoolNotice.Status.RECEIVED,),
    ),
    "create-school": (
        _("Create the new school"),
        _(
            "Creates the school as proposed, opening on the notice's date (the daily job opens "
            "it then). For a merger whose school continues, records that school instead."
        ),
        (SchoolNotice.Status.IN_PROGRESS,),
    ),
    "issue-token": (
        _("Issue the Provisioning Client token"),
        _(
            "Issues the new school's token and shows it once, on the next page. Give it to the "
            "school securely: it is never emailed, and the portal keeps only its hash."
        ),
        (SchoolNotice.Status.IN_PROGRESS,),
    ),
    "schools-closing": (
        _("Mark the closing schools as closing"),
        _(
            "Each closing school becomes “closing” with the notice's date as its closing date "
            "and its successor recorded; the daily job closes it on that date."
        ),
        (SchoolNotice.Status.IN_PROGRESS,),
    ),
    "complete": (
        _("Complete this notice"),
        _("Once its schools are set up: the officer is told the work is done."),
        (SchoolNotice.Status.IN_PROGRESS,),
    ),
    "decline": (
        _("Decline this notice"),
        _("The Hwb team will not act on it; the officer is told why."),
        SchoolNotice.OPEN,
    ),
}


def _notice_steps(notice: SchoolNotice) -> list[tuple[str, str]]:
    """The steps that make sense for the notice now: (slug, title)."""
    steps = []
    for slug, (title, _help, statuses) in NOTICE_STEPS.items():
        if notice.status not in statuses:
            continue
        if slug == "create-school" and (
            notice.kind == SchoolNotice.Kind.CLOSURE or notice.school_id
        ):
            continue
        if slug == "issue-token" and (
            notice.school_id is None or notice.school_id == notice.continuing_school_id
        ):
            continue
        if slug == "schools-closing" and (
            notice.kind == SchoolNotice.Kind.NEW_SCHOOL
            or not notice.closing_schools.filter(status=School.Status.OPEN).exists()
        ):
            continue
        steps.append((slug, title))
    return steps


@admin.register(SchoolNotice)
class SchoolNoticeAdmin(ReadOnlyAdmin):
    """Local authorities' notices: read-only here; each step of the Hwb team's work is a button
    on the notice's page, which calls its service (audited, on the timeline, emailed)."""

    list_display = (
        "id",
        "kind",
        "local_authority",
        "effective_date",
        "is_late",
        "status",
        "created_at",
        "school",
    )
    list_filter = ("kind", "status", "is_late", "local_authority")
    search_fields = (
        "new_school_name",
        "proposed_dfes_number",
        "submitted_by_username",
        "closing_schools__dfes_number",
        "school__dfes_number",
    )
    list_select_related = ("local_authority", "school")
    # A merger's or closure's staff matches are proposed from here too.
    actions = [notice_staff_matches_propose]
    date_hierarchy = "created_at"
    inlines = [SchoolNoticeEventInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    "status",
                    "local_authority",
                    "submitted_by_username",
                    "created_at",
                    "effective_date",
                    "notice_days",
                    "is_late",
                )
            },
        ),
        (
            _("New school"),
            {
                "fields": (
                    "new_school_name",
                    "new_school_name_cy",
                    "proposed_dfes_number",
                    "phase",
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                )
            },
        ),
        (
            _("Merging and closing schools"),
            {"fields": ("closing_schools", "continuing_school", "receiving_schools")},
        ),
        (_("The Hwb team's work"), {"fields": ("school", "notes", "hwb_note", "updated_at")}),
    )
    readonly_fields = tuple(name for _label, options in fieldsets for name in options["fields"])

    # Read-only: officers send notices from the local authority area, and only the steps'
    # services change one.

    def has_work_permission(self, request: HttpRequest) -> bool:
        """Working a notice needs the Hwb team's change permission on notices."""
        return request.user.has_perm("school_changes.change_schoolnotice")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/step/<slug:step>/",
                self.admin_site.admin_view(self.step_view),
                name="school_changes_schoolnotice_step",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notice = self.get_object(request, object_id)
        steps = _notice_steps(notice) if notice and self.has_work_permission(request) else []
        extra_context = {**(extra_context or {}), "notice_steps": steps}
        return super().change_view(request, object_id, form_url, extra_context)

    def _step_form(self, step: str, notice: SchoolNotice, data=None):
        if step == "create-school":
            if notice.kind == SchoolNotice.Kind.MERGER and notice.continuing_school_id:
                return ContinuingSchoolForm(data)
            return SchoolCreateForm(
                data,
                initial={
                    "dfes_number": notice.proposed_dfes_number,
                    "name_en": notice.new_school_name,
                    "name_cy": notice.new_school_name_cy,
                    "phase": notice.phase,
                },
            )
        if step == "schools-closing" and notice.kind == SchoolNotice.Kind.CLOSURE:
            return SuccessorForm(data, notice=notice)
        if step in ("accept", "complete"):
            return NoteForm(data)
        if step == "decline":
            return DeclineForm(data)
        return ConfirmForm(data)

    def _step_do(self, request: HttpRequest, step: str, notice: SchoolNotice, form):
        """Call the step's service; returns the token's secret for issue-token, else None."""
        actor, ip_address = request.user, client_ip(request)
        data = form.cleaned_data
        if step == "accept":
            notices.notice_accept(
                notice_id=notice.pk, actor=actor, note=data["note"], ip_address=ip_address
            )
            return None
        if step == "create-school":
            notices.notice_school_create(
                notice_id=notice.pk,
                actor=actor,
                dfes_number=data.get("dfes_number", ""),
                name_en=data.get("name_en", ""),
                name_cy=data.get("name_cy", ""),
                phase=data.get("phase", ""),
                ip_address=ip_address,
            )
            return None
        if step == "issue-token":
            _notice, secret = notices.notice_token_issue(
                notice_id=notice.pk, actor=actor, ip_address=ip_address
            )
            return secret
        if step == "schools-closing":
            notices.notice_schools_closing(
                notice_id=notice.pk,
                actor=actor,
                successor=data.get("successor"),
                ip_address=ip_address,
            )
            return None
        if step == "complete":
            notices.notice_complete(
                notice_id=notice.pk, actor=actor, note=data["note"], ip_address=ip_address
            )
            return None
        notices.notice_decline(
            notice_id=notice.pk, actor=actor, note=data["note"], ip_address=ip_address
        )
        return None

    @method_decorator(never_cache)
    def step_view(self, request: HttpRequest, object_id: str, step: str):
        """A step's small form (GET) and the step itself (POST, with CSRF)."""
        if step not in NOTICE_STEPS:
            raise Http404
        if not self.has_work_permission(request):
            raise PermissionDenied
        if step == "issue-token" and not request.user.has_perm("provisioning.add_clienttoken"):
            raise PermissionDenied
        notice = get_object_or_404(SchoolNotice.objects.select_related("school"), pk=object_id)
        change_url = reverse("admin:school_changes_schoolnotice_change", args=[notice.pk])
        form = self._step_form(step, notice, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if form.is_valid():
                try:
                    secret = self._step_do(request, step, notice, form)
                except NoticeError as refusal:
                    if refusal.field and refusal.field in form.fields:
                        form.add_error(refusal.field, str(refusal))
                    else:
                        form.add_error(None, str(refusal))
                else:
                    if secret:
                        notice.refresh_from_db()
                        return TemplateResponse(
                            request,
                            "admin/school_changes/schoolnotice/token.html",
                            {
                                **self.admin_site.each_context(request),
                                "opts": self.opts,
                                "notice": notice,
                                "secret": secret,
                                "change_url": change_url,
                                "title": gettext("Provisioning Client token"),
                            },
                        )
                    self.message_user(
                        request,
                        gettext("%(step)s: done. The officer has been emailed.")
                        % {"step": NOTICE_STEPS[step][0]},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        title, help_text, _statuses = NOTICE_STEPS[step]
        return TemplateResponse(
            request,
            "admin/school_changes/schoolnotice/step.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "notice": notice,
                "form": form,
                "step": step,
                "title": title,
                "help_text": help_text,
                "change_url": change_url,
            },
            status=400 if request.method == "POST" else 200,
        )


@admin.register(SchoolNoticeEvent)
class SchoolNoticeEventAdmin(ReadOnlyAdmin):
    """Every notice's timeline in one list (read-only)."""

    list_display = ("created_at", "notice", "action", "actor_username")
    list_filter = ("action",)
    search_fields = ("notice__submitted_by_username", "actor_username")
    list_select_related = ("notice",)
