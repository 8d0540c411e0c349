"""A local authority's own staff accounts, run by its Hwb administrators (local-authority officers
the Hwb team has made so) as a digital champion runs a school's: create with an expiry, keep,
close, and a one-time password on a credential sheet."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.http import client_ip

from . import rules, selectors, services
from .bulk_reset_views import reset_and_show_sheet
from .champion_views import own_account_close, own_account_keep
from .forms import NonMisAccountForm, NonMisKeepForm
from .reauth import recent_reauth_required


@never_cache
@recent_reauth_required
@require_safe
def authority_accounts(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority_administered(request.user)
    return render(
        request,
        "accounts/authority_account_list.html",
        {
            "authority": authority,
            "page": selectors.authority_accounts(
                admin=request.user, page=request.GET.get("page", 1)
            ),
            "expiring": services.non_mis_accounts_expiring(None, local_authority=authority),
        },
    )


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def authority_account_new(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority_administered(request.user)
    form = NonMisAccountForm(request.POST or None, for_authority=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.non_mis_account_create(
                actor=request.user,
                school=None,
                local_authority=authority,
                first_name=data["first_name"],
                last_name=data["last_name"],
                purpose=data["purpose"],
                expiry=data["expiry"],
                ip_address=client_ip(request),
            )
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Account created: %(username)s, until %(date)s. Use Reset password to give "
                    "its holder a one-time password."
                )
                % {"username": account.username, "date": date_format(account.expires_on, "j F Y")},
            )
            return redirect("accounts:authority_account", pk=account.pk)
    return render(
        request,
        "accounts/non_mis_account_new.html",
        {
            "form": form,
            "caption": authority.name,
            "back_url": reverse("accounts:authority_accounts"),
            "back_text": _("Back to your authority's accounts"),
            "action_url": reverse("accounts:authority_account_new"),
            "for_authority": True,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@recent_reauth_required
@require_safe
def authority_account(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.authority_account(admin=request.user, pk=pk)
    return render(
        request,
        "accounts/authority_account_detail.html",
        {
            "account": account,
            "keep_form": NonMisKeepForm(),
            "refusal": rules.password_reset_refusal(actor=request.user, account=account),
        },
    )


@never_cache
@recent_reauth_required
@require_POST
def authority_account_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.authority_account(admin=request.user, pk=pk)
    back = reverse("accounts:authority_account", args=[account.pk])
    return reset_and_show_sheet(request, [account.pk], back)


@never_cache
@recent_reauth_required
@require_POST
def authority_account_keep(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.authority_account(admin=request.user, pk=pk)
    return own_account_keep(request, account, page="accounts:authority_account")


@never_cache
@recent_reauth_required
@require_POST
def authority_account_close(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.authority_account(admin=request.user, pk=pk)
    return own_account_close(request, account, page="accounts:authority_account")
