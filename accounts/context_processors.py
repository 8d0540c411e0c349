"""What every page's header needs to know about the session: a second factor still to give, and
the User management window's time left (for its timeout warning)."""

from django.conf import settings

from .second_factor import second_factor_required


def second_factor(request):
    def pending() -> bool:
        user = getattr(request, "user", None)
        return bool(
            user is not None
            and user.is_authenticated
            and second_factor_required(user)
            and not user.is_verified()
        )

    # Called by the template only when it asks (the header of a signed-in page).
    return {"second_factor_pending": pending}


def reauth_window(request):
    """On a User management page (``recent_reauth_required`` set the time left): the seconds
    left and when to warn, for ``templates/includes/_timeout_warning.html``."""
    seconds = getattr(request, "hwb_reauth_seconds", 0)
    if not seconds:
        return {}
    return {
        "reauth_seconds_left": seconds,
        "reauth_warn_before": min(settings.HWB_REAUTH_WARNING_SECONDS, max(seconds - 2, 1)),
    }
