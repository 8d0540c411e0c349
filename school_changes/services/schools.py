"""The daily job: proposed schools open, and closing schools close, on their dates."""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.services import audit_record
from school_changes.models import SchoolNotice
from school_changes.services.notices import notice_email_officer, notice_event_add
from schools.models import School

Status = SchoolNotice.Status


@transaction.atomic
def schools_status_advance(*, today: date | None = None) -> dict[str, int]:
    """Open proposed schools whose opening date has come and close closing schools whose
    closing date has come; tell the officers of the notices concerned. Safe to run twice: a
    school that has changed no longer matches."""
    today = today or timezone.localdate()
    opened = list(
        School.objects.select_for_update()
        .filter(status=School.Status.PROPOSED, opening_date__lte=today)
        .order_by("pk")
    )
    closed = list(
        School.objects.select_for_update()
        .filter(status=School.Status.CLOSING, closing_date__lte=today)
        .order_by("pk")
    )
    changes: dict[int, dict[str, list[School]]] = {}
    for school, status, action in [
        *((school, School.Status.OPEN, "opened") for school in opened),
        *((school, School.Status.CLOSED, "closed") for school in closed),
    ]:
        school.status = status
        school.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=None,
            action=f"schools.school_{action}",
            target=school,
            school=school,
            details={"date": str(today)},
        )
        notices = SchoolNotice.objects.filter(
            Q(school=school) if action == "opened" else Q(closing_schools=school)
        ).exclude(status__in=(Status.DECLINED, Status.WITHDRAWN))
        for notice_id in notices.values_list("pk", flat=True).distinct():
            changes.setdefault(notice_id, {"opened": [], "closed": []})[action].append(school)
    for notice_id, schools in changes.items():
        notice = SchoolNotice.objects.select_related("submitted_by").get(pk=notice_id)
        for action, changed in schools.items():
            if changed:
                notice_event_add(notice, f"schools_{action}", None, ", ".join(map(str, changed)))
        notice_email_officer(
            notice, "notice_schools_advanced", opened=schools["opened"], closed=schools["closed"]
        )
    return {"opened": len(opened), "closed": len(closed)}
