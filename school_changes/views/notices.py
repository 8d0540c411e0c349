"""Thin views of the local authority area: officers tell the Hwb team of school changes.

Each kind of notice is a form, then a check-your-answers page that says whether the notice is
late; sending it calls notices.notice_submit. The form's answers wait in the session between the
two pages and are checked again when sent.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from core.http import client_ip
from school_changes.forms.notices import NOTICE_FORMS
from school_changes.rules import NoticeError, notice_deadline, notice_period_check
from school_changes.selectors import notices as notice_selectors
from school_changes.services import notices
from schools.models import School

# The answers of a notice being written, by kind, until it is sent.
ANSWERS_SESSION_KEY = "hwb_notice_answers"
KIND_OF_SLUG = {
    "new-school": notices.Kind.NEW_SCHOOL,
    "merger": notices.Kind.MERGER,
    "closure": notices.Kind.CLOSURE,
}


def officers_only(view):
    """Signed-in local-authority officers of an authority; anyone else is told plainly."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if user.kind != User.Kind.LA_OFFICER or not user.local_authority_id:
            return render(request, "school_changes/notices/not_an_officer.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _form_class(slug: str):
    form_class = NOTICE_FORMS.get(slug)
    if form_class is None:
        raise Http404
    return form_class


def _answers(request: HttpRequest, slug: str) -> QueryDict | None:
    stored = request.session.get(ANSWERS_SESSION_KEY, {}).get(slug)
    if not isinstance(stored, dict):
        return None
    data = QueryDict(mutable=True)
    for key, values in stored.items():
        if isinstance(values, list):
            data.setlist(key, [str(value) for value in values])
    return data


def _answers_keep(request: HttpRequest, slug: str, data: QueryDict | None) -> None:
    answers = dict(request.session.get(ANSWERS_SESSION_KEY, {}))
    if data is None:
        answers.pop(slug, None)
    else:
        answers[slug] = {
            key: values for key, values in data.lists() if key != "csrfmiddlewaretoken"
        }
    request.session[ANSWERS_SESSION_KEY] = answers


@never_cache
@officers_only
@require_safe
def notice_list(request: HttpRequest) -> HttpResponse:
    """The authority's notices and what the Hwb team has done with each."""
    return render(
        request,
        "school_changes/notices/list.html",
        {
            "page": notice_selectors.notices_page_for_officer(
                request.user, request.GET.get("page")
            ),
            "officer_actions": notice_selectors.notices_needing_officer(request.user),
        },
    )


@never_cache
@officers_only
@require_safe
def notice_start(request: HttpRequest) -> HttpResponse:
    """Tell the Hwb team about…: the three kinds of notice, and how much notice to give."""
    return render(
        request, "school_changes/notices/start.html", {"weeks": settings.HWB_NOTICE_MIN_WEEKS}
    )


@never_cache
@officers_only
@require_http_methods(["GET", "POST"])
def notice_form(request: HttpRequest, kind: str) -> HttpResponse:
    """The notice's form: valid answers go on to the check page; nothing is saved yet."""
    form_class = _form_class(kind)
    if request.method == "POST":
        form = form_class(request.POST, officer=request.user)
        if form.is_valid():
            _answers_keep(request, kind, request.POST)
            return redirect("notices:check", kind=kind)
    else:
        form = form_class(data=_answers(request, kind), officer=request.user)
        if form.is_bound:
            form.full_clean()  # "Change" from the check page: the answers, as they were
    return render(
        request,
        f"school_changes/notices/form_{KIND_OF_SLUG[kind]}.html",
        {"form": form, "slug": kind},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@officers_only
@require_http_methods(["GET", "POST"])
def notice_check(request: HttpRequest, kind: str) -> HttpResponse:
    """Check your answers, with the late warning; Send calls the service once."""
    form_class = _form_class(kind)
    data = _answers(request, kind)
    if data is None:
        return redirect("notices:new", kind=kind)
    form = form_class(data, officer=request.user)
    if not form.is_valid():  # something changed since (a school closed, a date passed)
        return render(
            request,
            f"school_changes/notices/form_{KIND_OF_SLUG[kind]}.html",
            {"form": form, "slug": kind},
            status=400,
        )
    fields = form.cleaned_data["notice_fields"]
    is_late, notice_days = notice_period_check(fields.effective_date)
    error = ""
    if request.method == "POST":
        try:
            notice = notices.notice_submit(
                officer=request.user, fields=fields, ip_address=client_ip(request)
            )
        except NoticeError as refusal:
            error = str(refusal)
        else:
            _answers_keep(request, kind, None)
            messages.success(
                request,
                _("Your notice has been sent to the Hwb team. We have emailed you a copy."),
            )
            return redirect("notices:detail", pk=notice.pk)
    return render(
        request,
        "school_changes/notices/check.html",
        {
            "fields": fields,
            "slug": kind,
            "is_late": is_late,
            "notice_days": notice_days,
            "weeks": settings.HWB_NOTICE_MIN_WEEKS,
            "deadline": notice_deadline(fields.effective_date),
            "phase_label": dict(School.Phase.choices).get(fields.phase, ""),
            "error": error,
        },
        status=400 if error else 200,
    )


@never_cache
@officers_only
@require_safe
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One notice: what was sent, its status and timeline; withdraw while it is received."""
    notice = notice_selectors.notice_for_officer(officer=request.user, pk=pk)
    return render(
        request,
        "school_changes/notices/detail.html",
        {"notice": notice, "weeks": settings.HWB_NOTICE_MIN_WEEKS},
    )


@never_cache
@officers_only
@require_POST
def notice_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notice_selectors.notice_for_officer(officer=request.user, pk=pk)
    try:
        notices.notice_withdraw(
            notice_id=notice.pk, officer=request.user, ip_address=client_ip(request)
        )
    except NoticeError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("Your notice has been withdrawn. The Hwb team will not act on it.")
        )
    return redirect("notices:detail", pk=notice.pk)
