"""The local authority area: notices of new schools, mergers and closures."""

from django.urls import path

from . import notice_views as views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("notices/new/", views.notice_start, name="start"),
    path("notices/new/<slug:kind>/", views.notice_form, name="new"),
    path("notices/new/<slug:kind>/check/", views.notice_check, name="check"),
    path("notices/<int:pk>/", views.notice_detail, name="detail"),
    path("notices/<int:pk>/withdraw/", views.notice_withdraw, name="withdraw"),
]
