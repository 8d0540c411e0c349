"""Project-level app: registers the system checks that say which setting is missing."""

from django.apps import AppConfig


class HwbPortalConfig(AppConfig):
    name = "hwb_portal"
    verbose_name = "Hwb portal"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
