"""Settings that pages mention to people (how long a proof or a lock-out lasts)."""

from django.conf import settings


def portal(request):
    return {
        "reauth_minutes": settings.HWB_REAUTH_MINUTES,
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
