from django.urls import path

from . import views

app_name = "provisioning"

urlpatterns = [
    path("", views.champion_runs, name="champion_runs"),
    path("runs/<int:pk>/", views.champion_run, name="champion_run"),
]
