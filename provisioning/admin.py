"""The Hwb team's view of provisioning: runs (deciding held ones), client tokens, MIS records."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin
from core.http import client_ip
from schools.admin import SchoolAdmin
from schools.identifiers import is_valid_upn, upn_hash

from .credentials import client_token_issue, client_token_revoke
from .models import ClientToken, MisLearner, MisStaff, PlacementReminder, ProvisioningRun
from .services import ProvisioningError
from .services.held_runs import run_discard, run_release

# How a run's counts read in the admin, in the contract's order.
_COUNT_LABELS = {
    "received": _("received"),
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "left": _("left"),
    "moved_in": _("moved in"),
    "awaiting_leaver": _("awaiting a leaver"),
    "rejected": _("rejected"),
}
# A run with thousands of record errors lists this many on its page (all are in the API).
_ERRORS_SHOWN = 200


def _counts_summary(counts: dict) -> str:
    """'620 received, 3 created, 1 rejected': the received count and every other non-zero one."""
    parts = [
        f"{counts.get(key, 0)} {label}"
        for key, label in _COUNT_LABELS.items()
        if key in counts and (key == "received" or counts[key])
    ]
    return ", ".join(parts) or "–"


def _problems_text(run: ProvisioningRun, problems: list) -> str:
    """One line per record error or warning: which record, whose, what is wrong."""
    lines = []
    for problem in problems[:_ERRORS_SHOWN]:
        if not isinstance(problem, dict):
            continue
        record = problem.get("record", "")
        name = run.record_names.get(record, "") if isinstance(run.record_names, dict) else ""
        who = " ".join(part for part in (record, name, problem.get("key") or "") if part)
        lines.append(
            f"{who} — {problem.get('field', '')}: {problem.get('code', '')}. "
            f"{problem.get('message', '')}".strip()
        )
    if len(problems) > _ERRORS_SHOWN:
        lines.append(
            gettext("… and %(count)d more (the API lists them all).")
            % {"count": len(problems) - _ERRORS_SHOWN}
        )
    return "\n".join(lines) or "–"


@admin.register(ProvisioningRun)
class ProvisioningRunAdmin(ReadOnlyAdmin):
    """Every school's runs, read-only; a held run is applied or discarded here, and only here."""

    list_display = (
        "id",
        "school",
        "status",
        "dry_run",
        "received_at",
        "finished_at",
        "attempts",
        "learners_summary",
        "staff_summary",
    )
    list_filter = ("status", "dry_run", "source", "school__local_authority")
    search_fields = ("school__dfes_number", "school__name_en", "school__name_cy")
    list_select_related = ("school",)
    date_hierarchy = "received_at"
    actions = ["release_held", "discard_held"]
    fieldsets = (
        (None, {"fields": ("school", "status", "dry_run", "source", "mis", "client_version")}),
        (
            _("When"),
            {
                "fields": (
                    "extracted_at",
                    "received_at",
                    "handed_over_at",
                    "started_at",
                    "attempts",
                    "finished_at",
                )
            },
        ),
        (
            _("Result"),
            {
                "fields": (
                    "learners_summary",
                    "staff_summary",
                    "failure_reason",
                    "errors_list",
                    "warnings_list",
                    "accounts_summary",
                )
            },
        ),
        (_("Decision"), {"fields": ("decision", "upns_removed_at")}),
    )
    readonly_fields = (
        "school",
        "status",
        "dry_run",
        "source",
        "mis",
        "client_version",
        "extracted_at",
        "received_at",
        "handed_over_at",
        "started_at",
        "attempts",
        "finished_at",
        "learners_summary",
        "staff_summary",
        "failure_reason",
        "errors_list",
        "warnings_list",
        "accounts_summary",
        "decision",
        "upns_removed_at",
    )

    def get_queryset(self, request):
        # The stored snapshot can be megabytes; no page here shows it.
        return super().get_queryset(request).defer("snapshot")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Applying or discarding a held run needs the Hwb team's change permission on runs."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.display(description=_("learners"))
    def learners_summary(self, run: ProvisioningRun) -> str:
        return _counts_summary((run.counts or {}).get("learners", {}))

    @admin.display(description=_("staff"))
    def staff_summary(self, run: ProvisioningRun) -> str:
        return _counts_summary((run.counts or {}).get("staff", {}))

    @admin.display(description=_("record errors"))
    def errors_list(self, run: ProvisioningRun) -> str:
        return _problems_text(run, run.errors or [])

    @admin.display(description=_("warnings"))
    def warnings_list(self, run: ProvisioningRun) -> str:
        return _problems_text(run, run.warnings or [])

    @admin.display(description=_("records with a username"))
    def accounts_summary(self, run: ProvisioningRun) -> str:
        accounts = run.accounts or {}
        return gettext("learners: %(learners)d, staff: %(staff)d") % {
            "learners": len(accounts.get("learners", {})),
            "staff": len(accounts.get("staff", {})),
        }

    @admin.display(description=_("applied or discarded"))
    def decision(self, run: ProvisioningRun) -> str:
        if run.decided_at is None:
            return "–"
        who = run.decided_by.username if run.decided_by else gettext("someone since deleted")
        if run.status == ProvisioningRun.Status.DISCARDED:
            text = gettext("Discarded by %(who)s on %(when)s.")
        else:
            text = gettext("Released by %(who)s on %(when)s, to be applied without the hold.")
        return text % {"who": who, "when": f"{localtime(run.decided_at):%Y-%m-%d %H:%M}"}

    # --- Deciding held runs: the list's actions and the change page's buttons ----------------

    def _decide(self, request: HttpRequest, runs, *, release: bool) -> None:
        service = run_release if release else run_discard
        for run in runs:
            if run.status != ProvisioningRun.Status.HELD:
                self.message_user(
                    request,
                    gettext(
                        "Run %(run)s is not held for review (it is %(status)s): nothing was done."
                    )
                    % {"run": run.pk, "status": run.get_status_display().lower()},
                    messages.WARNING,
                )
                continue
            try:
                run = service(run=run, actor=request.user, ip_address=client_ip(request))
            except ProvisioningError as error:
                self.message_user(
                    request,
                    gettext("Run %(run)s: %(error)s") % {"run": run.pk, "error": error},
                    messages.ERROR,
                )
                continue
            # Where Celery runs eagerly the release has been applied already; with a worker it
            # is queued, and the run's status shows the outcome.
            run.refresh_from_db(fields=["status", "failure_reason"])
            level = messages.SUCCESS
            if run.status == ProvisioningRun.Status.DISCARDED:
                text = gettext("Run %(run)s was discarded: nothing in it was applied.")
            elif run.status == ProvisioningRun.Status.SUCCEEDED:
                text = gettext("Run %(run)s was applied.")
            elif run.status == ProvisioningRun.Status.FAILED:
                text = gettext("Run %(run)s was released but failed: %(reason)s")
                level = messages.ERROR
            else:
                text = gettext("Run %(run)s was released: a worker is applying it now.")
            self.message_user(request, text % {"run": run.pk, "reason": run.failure_reason}, level)

    @admin.action(description=_("Apply held snapshot"), permissions=["decide"])
    def release_held(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset.select_related("school"), release=True)

    @admin.action(description=_("Discard held snapshot"), permissions=["decide"])
    def discard_held(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset.select_related("school"), release=False)

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/apply/",
                self.admin_site.admin_view(self.release_view),
                name=f"{opts.app_label}_{opts.model_name}_release",
            ),
            path(
                "<path:object_id>/discard/",
                self.admin_site.admin_view(self.discard_view),
                name=f"{opts.app_label}_{opts.model_name}_discard",
            ),
            *super().get_urls(),
        ]

    def _decide_view(self, request: HttpRequest, object_id: str, *, release: bool):
        if not self.has_decide_permission(request):
            raise PermissionDenied
        run = get_object_or_404(self.get_queryset(request), pk=object_id)
        self._decide(request, [run], release=release)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[run.pk])
        )

    @method_decorator(require_POST)
    def release_view(self, request: HttpRequest, object_id: str):
        return self._decide_view(request, object_id, release=True)

    @method_decorator(require_POST)
    def discard_view(self, request: HttpRequest, object_id: str):
        return self._decide_view(request, object_id, release=False)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ClientToken)
class ClientTokenAdmin(ReadOnlyAdmin):
    """Which school holds which token (by its first characters); the secret is never kept."""

    list_display = ("school", "prefix", "created_at", "created_by", "revoked_at", "last_used_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "school__local_authority")
    search_fields = ("school__dfes_number", "school__name_en", "prefix")
    list_select_related = ("school", "created_by")
    fields = ("school", "prefix", "created_at", "created_by", "revoked_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            client_token_revoke(token=token, actor=request.user, ip_address=client_ip(request))
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d token revoked: its client can no longer send snapshots.",
                "%(count)d tokens revoked: their clients can no longer send snapshots.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS,
        )


@admin.action(description=_("Issue a new Provisioning Client token"))
def school_client_token_issue(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    """Issue one school's token and show it once; its previous token stops working."""
    if not request.user.has_perm("provisioning.add_clienttoken"):
        raise PermissionDenied
    schools = list(queryset[:2])
    if len(schools) != 1:
        modeladmin.message_user(
            request,
            gettext(
                "Choose one school at a time: each token is shown once and goes to one school."
            ),
            messages.ERROR,
        )
        return
    school = schools[0]
    _token, secret = client_token_issue(
        school=school, actor=request.user, ip_address=client_ip(request)
    )
    modeladmin.message_user(
        request,
        gettext(
            "New Provisioning Client token for %(school)s: %(secret)s — copy it now: it is shown "
            "only once and the portal keeps only a hash of it. The school's previous token no "
            "longer works."
        )
        % {"school": school, "secret": secret},
        messages.WARNING,
    )


# schools must not import provisioning, so provisioning adds its action to the school admin.
SchoolAdmin.actions = (*SchoolAdmin.actions, school_client_token_issue)


@admin.register(MisLearner)
class MisLearnerAdmin(ReadOnlyAdmin):  # MIS records are written only by snapshots
    list_display = (
        "surname",
        "forename",
        "school",
        "year_group",
        "admission_date",
        "leaving_date",
        "absent",
        "account",
    )
    list_filter = ("absent", "year_group", "school__local_authority")
    search_fields = ("surname", "forename", "school__dfes_number", "account__username")
    list_select_related = ("school", "account")
    readonly_fields = (
        "school",
        "account",
        "forename",
        "surname",
        "preferred_forename",
        "date_of_birth",
        "year_group",
        "admission_date",
        "leaving_date",
        "absent",
        "updated_at",
        "upn_hash",
    )
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        """A search for a UPN finds the learner's records at every school through the hash."""
        term = search_term.strip().upper()
        if is_valid_upn(term):
            return queryset.filter(upn_hash=upn_hash(term)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(MisStaff)
class MisStaffAdmin(ReadOnlyAdmin):
    list_display = (
        "staff_code",
        "surname",
        "forename",
        "school",
        "role",
        "is_headteacher",
        "start_date",
        "leaving_date",
        "absent",
        "account",
    )
    list_filter = ("role", "is_headteacher", "absent", "school__local_authority")
    search_fields = (
        "staff_code",
        "surname",
        "forename",
        "work_email",
        "school__dfes_number",
        "account__username",
    )
    list_select_related = ("school", "account")
    readonly_fields = (
        "school",
        "staff_code",
        "account",
        "title",
        "forename",
        "surname",
        "date_of_birth",
        "work_email",
        "role",
        "is_headteacher",
        "start_date",
        "leaving_date",
        "absent",
        "updated_at",
    )
    fields = readonly_fields


@admin.register(PlacementReminder)
class PlacementReminderAdmin(ReadOnlyAdmin):
    """Which ITE students were reminded that their placement was ending, and when."""

    list_display = ("account", "school", "placement_end", "sent_at")
    list_filter = ("placement_end",)
    search_fields = ("account__username", "school__dfes_number")
    list_select_related = ("account", "school")
    date_hierarchy = "sent_at"


# The held learner moves have an admin module of their own (registered on import).
from . import admin_held_moves  # noqa: E402, F401
