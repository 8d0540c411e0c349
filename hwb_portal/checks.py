"""System checks: a portal that would run with a missing or weak secret refuses to start."""

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
