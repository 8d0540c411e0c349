"""Lock-out after failed sign-ins (django-axes): a lock per username, a ceiling per address,
which accounts are locked, clearing failures, and the daily clean-up of sign-in records.

Schools sit behind one public address, so one pupil's typing must never lock out the school:
the lock is per username (AXES_FAILURE_LIMIT failures within AXES_COOLOFF_TIME), and only a much
higher number of failures from one address (HWB_SIGNIN_ADDRESS_FAILURE_LIMIT, across every
username: password spraying) refuses that address for the same cool-off.
"""

from datetime import timedelta
from importlib import import_module

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext

# Why a request was refused, for the lock-out page (set on the request by the handler).
LOCKED_ADDRESS = "address"


class SignInLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, locking per username (AXES_LOCKOUT_PARAMETERS = ["username"]),
    plus a ceiling of failures per address within the same cool-off."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        if self._address_over_ceiling(request):
            request.hwb_lockout = LOCKED_ADDRESS
            return True
        return False

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure that reaches the ceiling already answers with the lock-out page.
        if (
            request is not None
            and not request.axes_locked_out
            and self._address_over_ceiling(request)
        ):
            request.hwb_lockout = LOCKED_ADDRESS
            request.axes_locked_out = True
            request.axes_credentials = credentials

    @staticmethod
    def _address_over_ceiling(request) -> bool:
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return False
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(total=Sum("failures_since_start"))["total"]
        return (failures or 0) >= settings.HWB_SIGNIN_ADDRESS_FAILURE_LIMIT


def _threshold():
    return timezone.now() - get_cool_off()


def accounts_with_lock_state(accounts: QuerySet) -> QuerySet:
    """The accounts annotated with ``signin_failures`` and ``is_locked_out``, in the same query."""
    failures = (
        AccessAttempt.objects.filter(username=OuterRef("username"), attempt_time__gte=_threshold())
        .order_by()
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .values("total")
    )
    return accounts.annotate(signin_failures=Coalesce(Subquery(failures), 0)).annotate(
        is_locked_out=ExpressionWrapper(
            Q(signin_failures__gte=settings.AXES_FAILURE_LIMIT), output_field=BooleanField()
        )
    )


def username_is_locked(username: str) -> bool:
    failures = AccessAttempt.objects.filter(
        username=username.lower(), attempt_time__gte=_threshold()
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def address_is_locked(address: str) -> bool:
    failures = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=_threshold()
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.HWB_SIGNIN_ADDRESS_FAILURE_LIMIT


def failures_clear(*, username: str | None = None, address: str | None = None) -> int:
    """Forget the failed sign-ins of a username, or from an address; returns how many there were.

    Not audited here: the services that call it (unlock, password reset) audit their action.
    """
    if not username and not address:
        raise ValueError("a username or an address is needed")  # a programming error
    attempts = AccessAttempt.objects.all()
    if username:
        attempts = attempts.filter(username=username.lower())
    if address:
        attempts = attempts.filter(ip_address=address)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    attempts.delete()
    return failures


def signin_records_remove_expired(*, days: int | None = None) -> dict[str, int]:
    """The daily clean-up: expired sessions (as ``clearsessions`` does), failures past their
    cool-off, and access and failure logs older than HWB_SIGNIN_RECORDS_DAYS."""
    days = settings.HWB_SIGNIN_RECORDS_DAYS if days is None else days
    now = timezone.now()
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    old = now - timedelta(days=days)
    removed = {
        "attempts": AccessAttempt.objects.filter(attempt_time__lt=now - get_cool_off()).delete()[0],
        "access_logs": AccessLog.objects.filter(attempt_time__lt=old).delete()[0],
        "failure_logs": AccessFailureLog.objects.filter(attempt_time__lt=old).delete()[0],
    }
    return removed


def attempts_with_lock_state(attempts: QuerySet) -> QuerySet:
    """Failed sign-in records annotated with ``username_failures`` (the username's failures
    within the cool-off, from every address) and ``username_last`` (its latest), in one query:
    what the lock of that username is now."""
    recent = AccessAttempt.objects.filter(
        username=OuterRef("username"), attempt_time__gte=_threshold()
    ).order_by()
    total = recent.values("username").annotate(total=Sum("failures_since_start")).values("total")
    latest = recent.order_by("-attempt_time").values("attempt_time")[:1]
    return attempts.annotate(
        username_failures=Coalesce(Subquery(total), 0), username_last=Subquery(latest)
    )


def lock_state_text(*, failures: int, last) -> str:
    """ "Locked until 09:42" or "4 attempts left", in the reader's language."""
    limit = settings.AXES_FAILURE_LIMIT
    if failures >= limit and last is not None:
        until = timezone.localtime(last + get_cool_off())
        return gettext("Locked until %(time)s") % {"time": until.strftime("%H:%M")}
    left = max(limit - failures, 0)
    return ngettext("%(count)d attempt left", "%(count)d attempts left", left) % {"count": left}


def failures_clear_many(*, usernames: list[str]) -> int:
    """Forget the failed sign-ins of many usernames at once (a bulk reset)."""
    lowered = [username.lower() for username in usernames]
    deleted, _by_model = AccessAttempt.objects.filter(username__in=lowered).delete()
    return deleted
