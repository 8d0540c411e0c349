"""Thin views of the local authority's staff match review: propose, review, save, submit, and
follow the move. Only officers of the notice's own authority find these pages (others: 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.http import client_ip
from school_changes.forms.staff_matches import StaffMatchReviewForm
from school_changes.models import StaffMatchList
from school_changes.selectors import staff_matches as merger_selectors
from school_changes.services import staff_matches as mergers

# While accounts move, the page asks the browser to load it again this often (seconds).
PROGRESS_REFRESH_SECONDS = 5


def _review_form(review: merger_selectors.MatchReview, data=None) -> StaffMatchReviewForm | None:
    match_list = review.match_list
    if match_list is None or match_list.status != StaffMatchList.Status.PROPOSED:
        return None
    return StaffMatchReviewForm(
        data, rows=review.rows, version=merger_selectors.list_version(match_list)
    )


def _page(
    request: HttpRequest, review, form, *, status: int = 200, error: str = ""
) -> HttpResponse:
    response = render(
        request,
        "school_changes/staff_matches/review.html",
        {
            "notice": review.notice,
            "review": review,
            "match_list": review.match_list,
            "form": form,
            "page_error": error,
            "refresh_seconds": PROGRESS_REFRESH_SECONDS,
            # ?rows=undecided: only the rows still to choose (the others travel hidden).
            "only_undecided": request.GET.get("rows") == "undecided",
        },
        status=status,
    )
    # No Refresh header: the progress region updates in place (static/js/status-poll.mjs).
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The proposed matches: choose for each row, Save to come back later, or Submit."""
    notice = merger_selectors.notice_for_officer(officer=request.user, pk=pk)
    review = merger_selectors.match_review(notice=notice)
    if request.method != "POST":
        return _page(request, review, _review_form(review))
    form = _review_form(review, request.POST)
    if form is None:
        messages.error(
            request,
            _("These matches have been submitted already: nothing was changed.")
            if review.match_list
            else _("No matches have been proposed yet: nothing was saved."),
        )
        return redirect("mergers:review", pk=notice.pk)
    if form.is_stale:
        # A form drawn from older proposals: show the new ones, with the reason.
        stale = form.errors["version"][0]
        return _page(request, review, _review_form(review), status=409, error=stale)
    if not form.is_valid():
        return _page(request, review, form, status=400)
    if form.submitting and not form.confirmed:
        # What submitting will do, before it is done: the choices travel on, unsaved.
        return render(
            request,
            "school_changes/staff_matches/submit_confirm.html",
            {"notice": notice, "form": form, "summary": form.summary()},
        )
    if request.POST.get("action") == "change":  # back from the confirmation, choices kept
        return _page(request, review, form)
    try:
        mergers.staff_matches_review(
            match_list_id=review.match_list.pk,
            officer=request.user,
            version=form.cleaned_data["version"],
            choices=form.choices(),
            submit=form.submitting,
            ip_address=client_ip(request),
        )
    except mergers.MergerError as error:
        form.add_error(None, str(error))
        return _page(request, review, form, status=400)
    if form.submitting:
        messages.success(
            request,
            _(
                "You have submitted the matches. The Hwb team will check them; you will get an "
                "email when the accounts have moved."
            ),
        )
    else:
        messages.success(request, _("Your choices have been saved. Come back to finish them."))
    return redirect("mergers:review", pk=notice.pk)


@never_cache
@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose the matches (again, while the list is still with the local authority)."""
    notice = merger_selectors.notice_for_officer(officer=request.user, pk=pk)
    try:
        mergers.staff_matches_propose(
            notice=notice, actor=request.user, ip_address=client_ip(request)
        )
    except mergers.MergerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Matches have been proposed. Review every row below."))
    return redirect("mergers:review", pk=notice.pk)
