"""Thin views: the digital champion's Provisioning page and one run's detail."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.reauth import recent_reauth_required

from . import selectors


@never_cache
@recent_reauth_required
@require_safe
def champion_runs(request: HttpRequest) -> HttpResponse:
    overview = selectors.provisioning_overview_for_champion(champion=request.user)
    return render(request, "provisioning/champion_runs.html", {"overview": overview})


@never_cache
@recent_reauth_required
@require_safe
def champion_run(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.run_report_for_champion(champion=request.user, pk=pk)
    return render(request, "provisioning/champion_run.html", {"report": report})
