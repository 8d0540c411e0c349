"""ITE placements: students are reminded, once per placement end date, to download their work
before their placement ends (a daily job)."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.emails import email_enqueue
from accounts.models import User
from accounts.selectors import interface_language
from accounts.services import audit_record

from .models import MisStaff, PlacementReminder


def ite_placement_reminders_send(*, today: date | None = None) -> int:
    """Remind ITE students, once per placement end date, to download what they need before it.

    ITE accounts are never moved between schools, so their work goes when their placement
    ends. The date is the leaving date the placement school's MIS gives; a student whose MIS
    gives none is not reminded. Safe to run twice: one reminder per account and end date.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.HWB_ITE_REMINDER_DAYS)
    due = (
        MisStaff.objects.filter(
            role=MisStaff.Role.ITE_STUDENT,
            absent=False,
            leaving_date__gte=today,
            leaving_date__lte=horizon,
            account__is_active=True,
            account__kind=User.Kind.ITE_STUDENT,
        )
        .exclude(account__placement_reminders__placement_end=models.F("leaving_date"))
        .select_related("account", "school")
        .order_by("pk")
    )
    sent = 0
    for record in due:
        with transaction.atomic():
            _reminder, created = PlacementReminder.objects.get_or_create(
                account=record.account,
                placement_end=record.leaving_date,
                defaults={"school": record.school},
            )
            if not created:
                continue
            audit_record(
                actor=None,
                action="ite.placement_reminder_sent",
                target=record.account,
                school=record.school,
                details={"placement_end": record.leaving_date.isoformat()},
            )
            email_enqueue(
                to=record.account.email,
                template="ite_placement_ending",
                context={
                    "account": record.account,
                    "school": record.school,
                    "placement_end": record.leaving_date,
                    "days_left": (record.leaving_date - today).days,
                },
                language=interface_language(
                    record.account
                ),  # not known: both languages, Welsh first
            )
            sent += 1
    return sent
