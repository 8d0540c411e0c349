from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolChangesConfig(AppConfig):
    """Local-authority notices of new schools, mergers and closures, and the staff moves."""

    name = "school_changes"
    verbose_name = _("School changes")
