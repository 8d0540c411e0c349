"""Account Transfer's pages (its banners and button on the composed pages are partials)."""

from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    # The member of staff's journey.
    path("user-management/account-transfer/", views.start, name="start"),
    path("user-management/account-transfer/status/", views.status, name="status"),
    path("user-management/account-transfer/request/", views.transfer_wizard, name="wizard_start"),
    path(
        "user-management/account-transfer/request/<str:step>/",
        views.transfer_wizard,
        name="wizard",
    ),
    path("user-management/account-transfer/<int:pk>/proceed/", views.proceed, name="proceed"),
    path("user-management/account-transfer/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("transfers/completed/", views.completed, name="completed"),
    # Deciding: from the headteacher's dashboard, or from the link in their email.
    path(
        "user-management/transfer-requests/<int:pk>/",
        views.decide_from_dashboard,
        name="decide_from_dashboard",
    ),
    path("transfers/decide/", views.decision, name="decision"),
    path("transfers/decide/<str:token>/", views.decision_link, name="decision_link"),
]
