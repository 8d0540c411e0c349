"""The portal's URLs and, for the benchmarks only, a bare view: a template, no database."""

from django.urls import path
from django.views.generic import TemplateView

from hwb_portal.urls import handler400, handler500
from hwb_portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("bench/bare/", TemplateView.as_view(template_name="bench/bare.html"), name="bench_bare"),
    *portal_urlpatterns,
]

__all__ = ["handler400", "handler500", "urlpatterns"]
