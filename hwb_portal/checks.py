"""System checks: a portal that would run with a missing or weak secret, or links that last too
long, refuses to start."""

from django.conf import settings
from django.core.checks import Error, register


@register(deploy=False)
def secrets_are_set(app_configs, **kwargs):
    errors = []
    if not settings.SECRET_KEY:
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is not set.",
                hint="Set DJANGO_SECRET_KEY to a long random string (see .env.example).",
                id="hwb.E001",
            )
        )
    if len(settings.HWB_UPN_HASH_KEY) < 32:
        errors.append(
            Error(
                "HWB_UPN_HASH_KEY is missing or shorter than 32 characters.",
                hint="UPNs are stored only as an HMAC keyed with it: set a long random value "
                "and never change it, or existing learners can no longer be matched.",
                id="hwb.E002",
            )
        )
    return errors


@register(deploy=False)
def links_expire_soon_enough(app_configs, **kwargs):
    from service_desk.authorisation import AUTHORISATION_LINK_MAX_DAYS

    if settings.HWB_AUTHORISATION_LINK_DAYS <= AUTHORISATION_LINK_MAX_DAYS:
        return []
    return [
        Error(
            f"HWB_AUTHORISATION_LINK_DAYS is {settings.HWB_AUTHORISATION_LINK_DAYS}; "
            f"service-desk authorisation links may last at most {AUTHORISATION_LINK_MAX_DAYS} "
            "days.",
            hint="A link opens the way to someone's account without signing in: set "
            f"HWB_AUTHORISATION_LINK_DAYS to {AUTHORISATION_LINK_MAX_DAYS} or fewer.",
            id="hwb.E003",
        )
    ]
