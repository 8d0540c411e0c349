from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    """Staff of a new school asking to keep their existing account, through the service desk."""

    name = "service_desk"
    verbose_name = _("Service desk")
