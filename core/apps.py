from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: mechanisms every app may use, and no domain models."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import db  # noqa: F401  (SQLite connections get translate())
