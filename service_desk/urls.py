"""Service-desk requests: the member of staff's pages (in User management) and the previous
organisation's written authorisation page (from the emailed link, no sign-in)."""

from django.urls import path

from . import views

app_name = "service_desk"

urlpatterns = [
    path("user-management/keep-my-account/", views.start, name="start"),
    path("user-management/keep-my-account/status/", views.status, name="status"),
    path(
        "user-management/keep-my-account/request/", views.service_desk_wizard, name="wizard_start"
    ),
    path(
        "user-management/keep-my-account/request/<str:step>/",
        views.service_desk_wizard,
        name="wizard",
    ),
    path("user-management/keep-my-account/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("service-desk/authorise/", views.authorise, name="authorise"),
    path("service-desk/authorise/<str:token>/", views.authorise_link, name="authorise_link"),
]
