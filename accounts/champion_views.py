"""The digital champion's pages: the school's accounts (list, download, one account, reset,
unlock, champions), the school's own non-MIS accounts, and the school's account activity."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.http import client_ip

from . import activity, downloads, rules, selectors, services
from .forms import (
    AccountSearchForm,
    NonMisAccountForm,
    NonMisKeepForm,
    PasswordResetConfirmForm,
    RenameForm,
)
from .models import SchoolRole
from .reauth import recent_reauth_required
from .shown_once import (
    one_time_password_keep,
    one_time_password_take,
)


@never_cache
@recent_reauth_required
def champion_account_list(request: HttpRequest) -> HttpResponse:
    school = selectors.champion_school(request.user)
    form = account_search_form(request.GET or None, school)
    filters = form.filters()
    page = selectors.school_accounts_for_champion(
        champion=request.user, page=request.GET.get("page", 1), **list_filters(filters)
    )
    return render(
        request,
        "accounts/champion_account_list.html",
        {"form": form, "page": page, "query": urlencode(filters)},
    )


def account_search_form(data, school) -> AccountSearchForm:
    return AccountSearchForm(
        data,
        kinds=selectors.school_account_kinds(school),
        groups=selectors.school_groups(school),
    )


def list_filters(filters: dict[str, str]) -> dict[str, str]:
    """The form's filters as the selector's arguments (its ``q`` is the search)."""
    return {("search" if name == "q" else name): value for name, value in filters.items()}


@never_cache
@recent_reauth_required
@require_safe
def champion_accounts_download(request: HttpRequest) -> StreamingHttpResponse:
    """The list as a CSV file: every account the search and filter find (audited)."""
    school = selectors.champion_school(request.user)
    form = account_search_form(request.GET or None, school)
    filters = list_filters(form.filters())
    accounts = selectors.school_accounts_found(champion=request.user, **filters)
    services.accounts_download_record(
        actor=request.user,
        school=school,
        count=accounts.count(),
        filters=filters,
        ip_address=client_ip(request),
    )
    response = StreamingHttpResponse(
        downloads.accounts_csv_rows(accounts.iterator(chunk_size=500)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="hwb-accounts-{school.dfes_number}.csv"'
    )
    return response


@never_cache
@recent_reauth_required
def champion_account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    is_champion = SchoolRole.Role.DIGITAL_CHAMPION in selectors.user_roles_at_school(account)
    return render(
        request,
        "accounts/champion_account_detail.html",
        {
            "account": account,
            "reset_refusal": rules.password_reset_refusal(actor=request.user, account=account),
            "is_champion": is_champion,
            "champion_refusal": rules.champion_role_refusal(
                actor=request.user, account=account, promote=not is_champion
            ),
            "keep_form": NonMisKeepForm() if account.non_mis_purpose else None,
            "stale_username": services.username_would_change(
                account, first_name=account.first_name, last_name=account.last_name
            ),
        },
    )


@never_cache
@recent_reauth_required
@require_POST
def champion_role(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the account a digital champion, or stop it being one; back to its page."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    champion = request.POST.get("champion") == "yes"
    try:
        changed = services.champion_role_set(
            actor=request.user, account=account, champion=champion, ip_address=client_ip(request)
        )
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        if changed and champion:
            messages.success(
                request,
                _(
                    "%(name)s is now a digital champion. At their next sign-in they will set up "
                    "two-step verification."
                )
                % {"name": account.get_full_name()},
            )
        elif changed:
            messages.success(
                request,
                _("%(name)s is no longer a digital champion.") % {"name": account.get_full_name()},
            )
    if not champion and account.pk == request.user.pk:
        return redirect("user_management")  # no longer theirs to manage
    return redirect("accounts:champion_account", pk=account.pk)


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def champion_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST resets, then redirects to the page that shows the password.

    Post/redirect/get: a refresh of the next page shows nothing new and resets nothing.
    """
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    form = PasswordResetConfirmForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                password = services.account_password_reset(
                    actor=request.user,
                    account=account,
                    ip_address=client_ip(request),
                    form_key=form.cleaned_data["form_key"],
                )
            except services.AccountResetRepeated:
                # A double click: the first click's password waits on the next page.
                return redirect("accounts:champion_password_reset_done", pk=account.pk)
            except services.AccountError as exc:
                error = str(exc)
            else:
                one_time_password_keep(request, account=account, password=password)
                return redirect("accounts:champion_password_reset_done", pk=account.pk)
        else:
            error = form.errors["form_key"][0]
        form = PasswordResetConfirmForm()  # a fresh key for the next try
    refusal = rules.password_reset_refusal(actor=request.user, account=account)
    return render(
        request,
        "accounts/champion_password_reset.html",
        {"account": account, "form": form, "error": error, "reset_refusal": refusal},
        status=403 if refusal else 400 if error else 200,
    )


@never_cache
@recent_reauth_required
@require_POST
def champion_account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the lock-out of one of the school's accounts (repeated failed sign-ins)."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    try:
        services.account_unlock(actor=request.user, account=account, ip_address=client_ip(request))
    except services.AccountError as error:
        return render(
            request,
            "accounts/champion_account_detail.html",
            {
                "account": account,
                "error": str(error),
                "reset_refusal": rules.password_reset_refusal(actor=request.user, account=account),
            },
            status=400,
        )
    messages.success(
        request,
        _("%(name)s’s account is unlocked: they can sign in again.")
        % {"name": account.get_full_name()},
    )
    return redirect("accounts:champion_account", pk=account.pk)


@never_cache
@recent_reauth_required
def champion_password_reset_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-time password, shown once; a refresh or a later visit says it has been shown."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    password = one_time_password_take(request, account=account)
    return render(
        request,
        "accounts/champion_password_reset_done.html",
        # Shown once: a language switch (a reload) would lose it, so the page offers none.
        {"account": account, "password": password, "shown_once": bool(password)},
    )


@never_cache
@recent_reauth_required
@require_safe
def school_activity(request: HttpRequest) -> HttpResponse:
    """What was done to the school's accounts: for its headteacher and digital champions."""
    school = activity.activity_school(request.user)
    group = request.GET.get("group", "")
    group = group if group in activity.GROUPS else ""
    search = request.GET.get("q", "")[:64]
    return render(
        request,
        "accounts/school_activity.html",
        {
            "school": school,
            "page": activity.school_activity(
                school=school, group=group, search=search, page=request.GET.get("page", 1)
            ),
            "groups": activity.GROUPS,
            "group": group,
            "search": search,
        },
    )


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def non_mis_account_new(request: HttpRequest) -> HttpResponse:
    """Create one of the school's own accounts (not from the MIS)."""
    school = selectors.champion_school(request.user)
    form = NonMisAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.non_mis_account_create(
                actor=request.user,
                school=school,
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
            return redirect("accounts:champion_account", pk=account.pk)
    return render(
        request,
        "accounts/non_mis_account_new.html",
        {"form": form, "school": school},
        status=400 if form.errors else 200,
    )


@never_cache
@recent_reauth_required
@require_POST
def non_mis_account_keep(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    return own_account_keep(request, account, page="accounts:champion_account")


@never_cache
@recent_reauth_required
@require_POST
def non_mis_account_close(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    return own_account_close(request, account, page="accounts:champion_account")


def own_account_keep(request: HttpRequest, account, *, page: str) -> HttpResponse:
    """Keep one of the school's (or authority's) own accounts longer, then back to ``page``."""
    form = NonMisKeepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long to keep the account."))
        return redirect(page, pk=account.pk)
    try:
        account = services.non_mis_account_keep(
            actor=request.user,
            account=account,
            until=form.cleaned_data["until"],
            ip_address=client_ip(request),
        )
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(username)s is kept until %(date)s.")
            % {"username": account.username, "date": date_format(account.expires_on, "j F Y")},
        )
    return redirect(page, pk=account.pk)


def own_account_close(request: HttpRequest, account, *, page: str) -> HttpResponse:
    """Close one of the school's (or authority's) own accounts now, or at its expiry."""
    at_expiry = request.POST.get("when") == "at_expiry"
    try:
        services.non_mis_account_close(
            actor=request.user,
            account=account,
            at_expiry=at_expiry,
            ip_address=client_ip(request),
        )
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        if at_expiry:
            done = _("%(username)s will close on %(date)s; you will not be asked about it again.")
            date = date_format(account.expires_on, "j F Y")
            messages.success(request, done % {"username": account.username, "date": date})
        else:
            messages.success(
                request,
                _("%(username)s is closed; it will be deleted after 12 months.")
                % {"username": account.username},
            )
    return redirect(page, pk=account.pk)


@never_cache
@recent_reauth_required
@require_http_methods(["GET", "POST"])
def champion_account_rename(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the account's name, and with it (when asked) its username."""
    account = selectors.account_for_champion(champion=request.user, pk=pk)
    form = RenameForm(
        request.POST or None,
        reasons=services.RENAME_REASONS,
        initial={
            "first_name": account.first_name,
            "last_name": account.last_name,
            "preferred_first_name": account.preferred_first_name,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        old_username = account.username
        try:
            account = services.account_rename(
                actor=request.user,
                account=account,
                first_name=data["first_name"],
                last_name=data["last_name"],
                reason=data["reason"],
                new_username=data["new_username"],
                preferred_first_name=data["preferred_first_name"],
                ip_address=client_ip(request),
            )
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            if account.username != old_username:
                message = _(
                    "The name is changed, and the username is now %(new)s. %(old)s keeps working "
                    "for signing in for a year; the holder chooses a new password at their next "
                    "sign-in."
                ) % {"new": account.username, "old": old_username}
            else:
                message = _("The name is changed; the username stays %(username)s.") % {
                    "username": account.username
                }
            messages.success(request, message)
            return redirect("accounts:champion_account", pk=account.pk)
    return render(
        request,
        "accounts/champion_account_rename.html",
        {"account": account, "form": form},
        status=400 if form.errors else 200,
    )
