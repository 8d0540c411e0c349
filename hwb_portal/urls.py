"""URL map: each app mounts its own URLs; the admin is the Hwb team's workplace."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views

from . import dashboards, views
from .work_queue import work_queue_view

admin.site.site_header = _("Hwb team administration")
admin.site.site_title = _("Hwb team administration")
admin.site.index_title = _("Schools, accounts and audit")

urlpatterns = [
    path("", dashboards.home, name="home"),
    # Pages composed from several apps' parts.
    path("user-management/", dashboards.dashboard, name="user_management"),
    path("user-management/my-profile/", dashboards.profile, name="profile"),
    path("", include("transfers.urls")),
    path("", include("accounts.urls")),
    path("user-management/provisioning/", include("provisioning.urls")),
    path("schools/", include("schools.urls")),
    # The local authority area: notices of new schools, mergers and closures, staff matches.
    path("local-authority/", include("school_changes.urls")),
    # Staff of a brand-new school: service-desk requests and the written authorisation page.
    path("", include("service_desk.urls")),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/setlang/", account_views.language_switch, name="set_language"),
    path("admin/work-queue/", admin.site.admin_view(work_queue_view), name="admin_work_queue"),
    path("admin/", admin.site.urls),
    path("api/provisioning/v1/", include("provisioning.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI with its script served separately (no inline script, as the CSP requires).
    path(
        "api/schema/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema"),
        name="api_docs",
    ),
]

# Under /api/ even a malformed request or an unexpected error answers in the contract's JSON.
handler400 = "hwb_portal.views.bad_request"
handler500 = "hwb_portal.views.server_error"
