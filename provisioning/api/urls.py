"""URLs of the Provisioning Client API, version 1 (mounted at /api/provisioning/v1/)."""

from django.urls import path, re_path

from . import views

app_name = "provisioning_api"

urlpatterns = [
    path("snapshots/", views.SnapshotCreateView.as_view(), name="snapshot_send"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/<int:run_id>/", views.RunDetailView.as_view(), name="run_detail"),
    # Anything else under the prefix answers a JSON 404 too.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not_found"),
]
