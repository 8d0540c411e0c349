"""The local authority's staff match review for mergers and closures (under /local-authority/)."""

from django.urls import path

from . import merger_views

app_name = "mergers"

urlpatterns = [
    path("notices/<int:pk>/staff-matches/", merger_views.review, name="review"),
    path("notices/<int:pk>/staff-matches/propose/", merger_views.propose, name="propose"),
]
