"""Local development: debug on, development secrets, everything embedded (no servers needed)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="local-development-only-key-5c2b1f0e9d8a7c6b5a4f3e2d1c0b9a8f"
)
HWB_UPN_HASH_KEY = env("HWB_UPN_HASH_KEY", default="local-development-only-upn-hash-key-0123")
# seed_demo (accounts with a published password) may run here, and only here (and in the tests,
# which derive from these settings); elsewhere it wants --i-know-this-is-not-production.
HWB_DEMO_DATA_ALLOWED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from static/ (no collectstatic needed to run locally).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# A quiet terminal for the demo: no line per eager task, no autoreloader chatter (twice, one per
# process), no kombu note about the in-memory broker having no host name.
LOGGING["loggers"].update(  # noqa: F405
    {
        "celery": {"level": "WARNING"},
        "django.utils.autoreload": {"level": "WARNING"},
        "kombu": {"level": "ERROR"},
    }
)
