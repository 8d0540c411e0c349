"""Passwords in bulk: a champion resets the accounts a search finds (a year group, a registration
group, a kind), a teacher the learners of the registration group they tutor; either gets the
printable credential sheet once, and may download it once as a CSV file after acknowledging what
the file holds."""

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.http import client_ip

from . import rules, selectors, services
from .champion_views import account_search_form, list_filters
from .downloads import cell
from .forms import CredentialsDownloadForm, PrimaryPasswordsForm
from .reauth import recent_reauth_required
from .services.bulk_resets import BULK_RESET_MAX
from .shown_once import (
    credentials_for_download,
    credentials_keep,
    credentials_keep_for_download,
    credentials_take,
)


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def champion_bulk_reset(request: HttpRequest) -> HttpResponse:
    """GET: how many of the accounts the search finds will get new passwords; POST: reset them
    and go to the credential sheet (post/redirect/get: a refresh resets nothing)."""
    school = selectors.champion_school(request.user)
    source = request.POST if request.method == "POST" else request.GET
    filters = account_search_form(source, school).filters()
    found = selectors.school_accounts_found(champion=request.user, **list_filters(filters))
    chosen = _chosen(source)
    if chosen:  # accounts ticked on the list (of this school: the search still bounds them)
        found = found.filter(pk__in=chosen)
    count = found.count()
    if request.method == "POST":
        back = f"{reverse('accounts:champion_accounts')}?{urlencode(filters)}"
        return reset_and_show_sheet(
            request, list(found.values_list("pk", flat=True)[: BULK_RESET_MAX + 1]), back
        )
    return render(
        request,
        "accounts/champion_bulk_reset.html",
        {
            "count": count,
            "filters": filters,
            "chosen": chosen,
            "query": urlencode(filters),
            "too_many": count > BULK_RESET_MAX,
            "school": school,
            "primary_form": PrimaryPasswordsForm(initial={"kept": school.primary_passwords_kept}),
        },
    )


def _chosen(source) -> list[int]:
    """The account ids ticked on the list (at most one more than a reset takes)."""
    ids = [value for value in source.getlist("account") if value.isdigit() and len(value) < 12]
    return [int(value) for value in ids[: BULK_RESET_MAX + 1]]


def reset_and_show_sheet(request: HttpRequest, account_ids: list[int], back: str) -> HttpResponse:
    """Reset the accounts' passwords (those the actor may) and go to the credential sheet; an
    error goes back to ``back``."""
    try:
        credentials, left_out = services.passwords_reset_bulk(
            actor=request.user, account_ids=account_ids, ip_address=client_ip(request)
        )
    except services.AccountError as error:
        messages.error(request, str(error))
        return redirect(back)
    credentials_keep(request, [vars(card) for card in credentials])
    if left_out:
        messages.info(
            request,
            ngettext(
                "%(count)d account was left out: yours, or one you may not reset.",
                "%(count)d accounts were left out: yours, or ones you may not reset.",
                left_out,
            )
            % {"count": left_out},
        )
    return redirect("accounts:credentials_sheet")


@never_cache
@recent_reauth_required
@require_POST
def primary_passwords(request: HttpRequest) -> HttpResponse:
    """A champion chooses whether the school's primary learners keep a password issued in bulk."""
    school = selectors.champion_school(request.user)
    form = PrimaryPasswordsForm(request.POST)
    form.is_valid()  # a checkbox: absent is False, never an error
    services.primary_passwords_kept_set(
        actor=request.user,
        school=school,
        kept=bool(form.cleaned_data.get("kept")),
        ip_address=client_ip(request),
    )
    messages.success(
        request,
        _("Primary learners now keep the password you issue, until they change it.")
        if form.cleaned_data.get("kept")
        else _("Primary learners now choose their own password at their first sign-in."),
    )
    return redirect(f"{reverse('accounts:champion_bulk_reset')}?{request.POST.get('query', '')}")


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def tutor_group_passwords(request: HttpRequest) -> HttpResponse:
    """A teacher's registration group: its learners, and Reset passwords for those chosen."""
    groups, learners = selectors.learners_of_tutor(request.user)
    if not groups:
        raise Http404
    if request.method == "POST":
        tutored = {learner.pk for learner in learners}
        chosen = [int(pk) for pk in request.POST.getlist("account") if pk.isdigit()]
        chosen = [pk for pk in chosen if pk in tutored]
        if not chosen:
            return render(
                request,
                "accounts/tutor_group_passwords.html",
                {"groups": groups, "learners": learners, "error": True},
                status=400,
            )
        return reset_and_show_sheet(request, chosen, reverse("accounts:tutor_group_passwords"))
    return render(
        request,
        "accounts/tutor_group_passwords.html",
        {"groups": groups, "learners": learners},
    )


def _sheet_back(user) -> str:
    if rules.champion_school_id(user):
        return reverse("accounts:champion_accounts")
    if rules.authority_admin_id(user):
        return reverse("accounts:authority_accounts")
    return reverse("accounts:tutor_group_passwords")


@never_cache
@recent_reauth_required
@require_safe
def credentials_sheet(request: HttpRequest) -> HttpResponse:
    """The printable credential sheet of the last bulk reset, shown this once (the passwords wait
    a few minutes more for one CSV download)."""
    school = request.user.school
    cards = credentials_take(request)
    if cards:
        credentials_keep_for_download(request, cards)
    language = (school.interface_language if school else "") or settings.LANGUAGE_CODE
    organisation = school or request.user.local_authority
    return render(
        request,
        "accounts/credentials_sheet.html",
        {
            "cards": cards,
            "organisation": organisation,
            "sign_in_url": settings.HWB_PORTAL_URL + reverse("accounts:sign_in"),
            "card_language": language,
            "back": _sheet_back(request.user),
            "shown_once": bool(cards),
        },
    )


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def credentials_download(request: HttpRequest) -> HttpResponse:
    """The sheet's passwords as a CSV file, once, after the person acknowledges that the file
    holds readable passwords (audited)."""
    take = request.method == "POST"
    form = CredentialsDownloadForm(request.POST if take else None)
    acknowledged = take and form.is_valid()
    cards = credentials_for_download(request, take=acknowledged)
    if cards is None:
        return render(request, "accounts/credentials_download.html", {"gone": True}, status=410)
    if not acknowledged:
        return render(
            request,
            "accounts/credentials_download.html",
            {"form": form, "count": len(cards)},
            status=400 if take else 200,
        )
    services.credentials_download_record(
        actor=request.user,
        school=request.user.school,
        count=len(cards),
        ip_address=client_ip(request),
    )
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_("Name"), _("Hwb username"), _("One-time password")])
    for card in cards:
        writer.writerow([cell(card["name"]), cell(card["username"]), cell(card["password"])])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hwb-new-passwords.csv"'
    return response
