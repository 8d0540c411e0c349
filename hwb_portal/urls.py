"""URL map: each app mounts its own URLs; the admin is the Hwb team's workplace."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from accounts import views as account_views

from . import views

admin.site.site_header = _("Hwb team administration")
admin.site.site_title = _("Hwb team administration")
admin.site.index_title = _("Schools, accounts and audit")

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("schools/", include("schools.urls")),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/setlang/", account_views.language_switch, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
]
