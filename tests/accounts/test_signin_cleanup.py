"""The daily clean-up of expired sessions and old sign-in records."""

import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone


def _aged(model, days: float, **fields):
    record = model.objects.create(
        user_agent="test", http_accept="*/*", path_info="/sign-in/", **fields
    )
    model.objects.filter(pk=record.pk).update(attempt_time=timezone.now() - dt.timedelta(days=days))
    return record


def test_the_daily_job_removes_expired_sessions_and_old_sign_in_records(db, settings):
    from accounts.tasks import signin_records_remove_expired

    settings.HWB_SIGNIN_RECORDS_DAYS = 30
    expired, current = SessionStore(), SessionStore()
    expired.set_expiry(-60)
    expired.create()
    current.create()
    old_attempt = _aged(AccessAttempt, 1, username="a", failures_since_start=3)
    new_attempt = _aged(AccessAttempt, 0, username="b", failures_since_start=3)
    old_log, new_log = _aged(AccessLog, 31, username="a"), _aged(AccessLog, 29, username="a")
    old_failure = _aged(AccessFailureLog, 31, username="a")
    new_failure = _aged(AccessFailureLog, 29, username="a")

    signin_records_remove_expired.delay()

    assert set(Session.objects.values_list("session_key", flat=True)) == {current.session_key}
    assert list(AccessAttempt.objects.all()) == [new_attempt]
    assert list(AccessLog.objects.all()) == [new_log]
    assert list(AccessFailureLog.objects.all()) == [new_failure]
    assert old_attempt.pk != new_attempt.pk and old_log.pk and old_failure.pk


def test_the_daily_job_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.tasks.signin_records_remove_expired" in tasks
