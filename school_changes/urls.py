"""The local authority area (under /local-authority/): notices of new schools, mergers and
closures (namespace ``notices``), and the staff match review of a merger or closure
(namespace ``mergers``)."""

from django.urls import include, path

from .views import notices, staff_matches

notice_patterns = [
    path("", notices.notice_list, name="list"),
    path("notices/new/", notices.notice_start, name="start"),
    path("notices/new/<slug:kind>/", notices.notice_form, name="new"),
    path("notices/new/<slug:kind>/check/", notices.notice_check, name="check"),
    path("notices/<int:pk>/", notices.notice_detail, name="detail"),
    path("notices/<int:pk>/withdraw/", notices.notice_withdraw, name="withdraw"),
]

staff_match_patterns = [
    path("notices/<int:pk>/staff-matches/", staff_matches.review, name="review"),
    path("notices/<int:pk>/staff-matches/propose/", staff_matches.propose, name="propose"),
]

urlpatterns = [
    path("", include((notice_patterns, "notices"))),
    path("", include((staff_match_patterns, "mergers"))),
]
