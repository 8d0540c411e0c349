"""The Hwb team's work queue in the admin: everything waiting for the team, oldest first, each
with its age and a link to its admin page. It reads every app, so it lives here, at the top."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from provisioning.models import HeldLearnerMove, ProvisioningRun
from school_changes.models import SchoolNotice, StaffMatchList
from service_desk.models import ServiceDeskRequest

ITEMS_PER_KIND = 50
FAILED_RUNS_DAYS = 7


@dataclass(frozen=True)
class WorkItem:
    what: str
    since: datetime
    url: str


@dataclass(frozen=True)
class WorkGroup:
    title: str
    items: list[WorkItem]


def _change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def work_queue() -> list[WorkGroup]:
    """Six lists, each at most ITEMS_PER_KIND long, oldest first: six queries."""
    notices = SchoolNotice.objects.filter(status=SchoolNotice.Status.RECEIVED).select_related(
        "local_authority"
    )
    match_lists = StaffMatchList.objects.filter(
        status=StaffMatchList.Status.SUBMITTED
    ).select_related("notice")
    desk = ServiceDeskRequest.objects.filter(
        status__in=(ServiceDeskRequest.Status.RECEIVED, ServiceDeskRequest.Status.AUTHORISED)
    )
    runs = ProvisioningRun.objects.defer("snapshot", "accounts").select_related("school")
    held_runs = runs.filter(status=ProvisioningRun.Status.HELD)
    failed_runs = runs.filter(
        status=ProvisioningRun.Status.FAILED,
        received_at__gte=timezone.now() - timedelta(days=FAILED_RUNS_DAYS),
    )
    held_moves = HeldLearnerMove.objects.filter(status=HeldLearnerMove.Status.OPEN).select_related(
        "from_school", "to_school"
    )
    return [
        WorkGroup(
            gettext("New notices of school changes"),
            [
                WorkItem(
                    f"{notice} – {notice.local_authority}", notice.created_at, _change_url(notice)
                )
                for notice in notices.order_by("created_at")[:ITEMS_PER_KIND]
            ],
        ),
        WorkGroup(
            gettext("Staff matches to approve"),
            [
                WorkItem(str(match_list), match_list.submitted_at, _change_url(match_list))
                for match_list in match_lists.order_by("submitted_at")[:ITEMS_PER_KIND]
            ],
        ),
        WorkGroup(
            gettext("Service-desk requests waiting for the desk"),
            [
                WorkItem(
                    f"{request} ({request.get_status_display()})",
                    request.created_at,
                    _change_url(request),
                )
                for request in desk.order_by("created_at")[:ITEMS_PER_KIND]
            ],
        ),
        WorkGroup(
            gettext("Provisioning runs held for review"),
            [
                WorkItem(f"{run.school} – {run.failure_reason}", run.received_at, _change_url(run))
                for run in held_runs.order_by("received_at")[:ITEMS_PER_KIND]
            ],
        ),
        WorkGroup(
            gettext("Learner moves held for checking"),
            [
                WorkItem(
                    f"{move.from_school} → {move.to_school}", move.created_at, _change_url(move)
                )
                for move in held_moves.order_by("created_at")[:ITEMS_PER_KIND]
            ],
        ),
        WorkGroup(
            gettext("Provisioning runs that failed in the last 7 days"),
            [
                WorkItem(f"{run.school} – {run.failure_reason}", run.received_at, _change_url(run))
                for run in failed_runs.order_by("received_at")[:ITEMS_PER_KIND]
            ],
        ),
    ]


def work_queue_view(request: HttpRequest) -> HttpResponse:
    """The admin page (staff only, through admin.site.admin_view)."""
    context = {
        **admin.site.each_context(request),
        "title": _("Work queue"),
        "groups": work_queue(),
        "now": timezone.now(),
    }
    return TemplateResponse(request, "admin/work_queue.html", context)
