"""The Hwb team's pages for accounts and school roles. Every change goes through the same audited
services as the portal's pages: details and admin rights (``account_update``), password resets
(shown once), deactivation and reactivation, granting and revoking roles. School, kind, active
state and password are never edited as fields, and nothing here deletes an account or a role.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.admin import ReadOnlyInline
from core.http import client_ip
from schools.identifiers import is_valid_upn, upn_hash

from .. import signin
from ..forms import PasswordResetConfirmForm
from ..hwb_team import (
    ACCOUNT_DETAIL_FIELDS,
    ACCOUNT_RIGHTS_FIELDS,
    account_deactivate_by_hwb_team,
    account_reactivate,
    account_update,
)
from ..models import SchoolRole, User
from ..services import (
    AccountError,
    AccountResetRepeated,
    account_password_reset,
)
from ..shown_once import one_time_password_keep, one_time_password_take
from .second_factor import second_factor_reset_action
from .signin import LockedOutFilter, accounts_unlock


class SchoolRoleInline(ReadOnlyInline):
    """An account's school roles, listed; granted and revoked through the services only."""

    model = SchoolRole
    fields = ("school", "role", "granted_at")


class AccountAdminForm(forms.ModelForm):
    """The only fields the admin edits; each save goes through ``hwb_team.account_update``."""

    class Meta:
        model = User
        fields = (*ACCOUNT_DETAIL_FIELDS, *ACCOUNT_RIGHTS_FIELDS)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts: names, language and (for superusers) admin rights are edited here, through the
    audited service; school, kind, active state and password only through their own services
    (moves, the buttons below, the password reset). Accounts are never deleted here: the daily
    retention job deletes them."""

    form = AccountAdminForm
    list_display = (
        "username",
        "first_name",
        "last_name",
        "kind",
        "school",
        "is_active",
        "locked_out",
    )
    list_filter = (
        "kind",
        "is_active",
        LockedOutFilter,
        "must_change_password",
        "school__local_authority",
    )
    search_fields = ("username", "first_name", "last_name", "email", "school__dfes_number")
    list_select_related = ("school",)
    ordering = ("username",)
    autocomplete_fields = ("local_authority",)
    filter_horizontal = ("groups", "user_permissions")
    inlines = [SchoolRoleInline]
    actions = ["deactivate_selected", "reactivate_selected", "unlock", second_factor_reset_action]
    readonly_fields = (
        "username",
        "password_state",
        "kind",
        "school",
        "upn_hash",
        "is_active",
        "must_change_password",
        "deactivated_at",
        "deactivation_reason",
        "deletion_due_at",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password_state")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "preferred_language")}),
        (
            _("Hwb"),
            {
                "fields": (
                    "kind",
                    "school",
                    "local_authority",
                    "manages_authority_accounts",
                    "upn_hash",
                )
            },
        ),
        (
            _("Status"),
            {
                "fields": (
                    "is_active",
                    "must_change_password",
                    "deactivated_at",
                    "deactivation_reason",
                    "deletion_due_at",
                    "last_login",
                    "date_joined",
                )
            },
        ),
        (_("Hwb team"), {"fields": ACCOUNT_RIGHTS_FIELDS}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Admin rights are changed by members of the Hwb team who hold full admin rights only.
        if request.user.is_superuser:
            return self.readonly_fields
        return (*self.readonly_fields, *ACCOUNT_RIGHTS_FIELDS)

    def has_add_permission(self, request):
        # Accounts come from the MIS (provisioning) or the services, which generate usernames.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # An account with full admin rights is changed by another superuser only.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_queryset(self, request):
        return signin.accounts_with_lock_state(super().get_queryset(request))

    @admin.display(description=_("locked"), boolean=True, ordering="is_locked_out")
    def locked_out(self, account: User) -> bool:
        return account.is_locked_out

    @admin.action(description=_("Unlock the selected accounts (failed sign-ins)"))
    def unlock(self, request, queryset):
        accounts_unlock(self, request, queryset)

    @admin.display(description=_("password"))
    def password_state(self, account: User) -> str:
        if not account.has_usable_password():
            return gettext("None yet: reset it to give the holder a one-time password.")
        if account.must_change_password:
            return gettext("A one-time password, to be changed at the next sign-in.")
        return gettext("Chosen by the holder (stored as a hash; nobody can read it).")

    def get_search_results(self, request, queryset, search_term):
        """A search for a UPN finds the learner through the keyed hash."""
        term = search_term.strip().upper()
        if is_valid_upn(term):
            return queryset.filter(upn_hash=upn_hash(term)), False
        return super().get_search_results(request, queryset, search_term)

    # --- Saving: the audited service, never the form ------------------------------------------

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        try:
            account_update(
                actor=request.user, account=obj, changes=changes, ip_address=client_ip(request)
            )
        except AccountError as error:
            # The form's own checks come first; this is the service saying no to the person.
            self.message_user(request, str(error), messages.ERROR)
            raise PermissionDenied from error

    def save_related(self, request, form, formsets, change):
        """Groups and permissions were saved by the service; roles have their own pages, and
        their read-only list here saves nothing (``commit=False`` only reports no change)."""
        for formset in formsets:
            formset.save(commit=False)

    # --- Buttons on an account's page and actions on the list ---------------------------------

    def get_urls(self):
        opts = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/reset-password/",
                view(self.password_reset_view),
                name=f"{prefix}_password_reset",
            ),
            path(
                "<int:object_id>/one-time-password/",
                view(self.one_time_password_view),
                name=f"{prefix}_one_time_password",
            ),
            path(
                "<int:object_id>/deactivate/",
                view(self.deactivate_view),
                name=f"{prefix}_deactivate",
            ),
            path(
                "<int:object_id>/reactivate/",
                view(self.reactivate_view),
                name=f"{prefix}_reactivate",
            ),
            *super().get_urls(),
        ]

    def _account(self, request: HttpRequest, object_id) -> User:
        account = get_object_or_404(User.objects.select_related("school"), pk=object_id)
        if not self.has_change_permission(request, account):
            raise PermissionDenied
        return account

    def _back(self, account: User) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[account.pk]))

    def _render(self, request, account: User, template: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/accounts/user/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": account,
                **context,
            },
        )

    def password_reset_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Confirm, then the same service as the champion's page; the password is shown once."""
        account = self._account(request, object_id)
        form = PasswordResetConfirmForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not form.is_valid():
                self.message_user(request, form.errors["form_key"][0], messages.ERROR)
                return self._back(account)
            try:
                password = account_password_reset(
                    actor=request.user,
                    account=account,
                    ip_address=client_ip(request),
                    form_key=form.cleaned_data["form_key"],
                )
            except AccountResetRepeated:
                return HttpResponseRedirect(
                    reverse("admin:accounts_user_one_time_password", args=[account.pk])
                )
            except AccountError as error:
                self.message_user(request, str(error), messages.ERROR)
                return self._back(account)
            one_time_password_keep(request, account=account, password=password)
            return HttpResponseRedirect(
                reverse("admin:accounts_user_one_time_password", args=[account.pk])
            )
        return self._render(
            request,
            account,
            "confirm.html",
            title=gettext("Reset password"),
            form=form,
            explanation=gettext(
                "The account gets a new one-time password, shown to you once; its holder must "
                "choose their own at the next sign-in. The current password stops working at "
                "once, and the holder of any account but a learner's is emailed."
            ),
        )

    @method_decorator(never_cache)
    def one_time_password_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        account = self._account(request, object_id)
        password = one_time_password_take(request, account=account)
        return self._render(
            request,
            account,
            "one_time_password.html",
            title=gettext("One-time password")
            if password
            else gettext("One-time password already shown"),
            password=password,
        )

    def _status_view(self, request, object_id, *, service, title, explanation, done):
        account = self._account(request, object_id)
        if request.method == "POST":
            try:
                service(actor=request.user, account=account, ip_address=client_ip(request))
            except AccountError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, done % {"username": account}, messages.SUCCESS)
            return self._back(account)
        return self._render(request, account, "confirm.html", title=title, explanation=explanation)

    def deactivate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._status_view(
            request,
            object_id,
            service=account_deactivate_by_hwb_team,
            title=gettext("Deactivate the account"),
            explanation=gettext(
                "Its holder can no longer sign in, and the account is deleted 12 months from "
                "today unless it is reactivated first."
            ),
            done=gettext("%(username)s has been deactivated."),
        )

    def reactivate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._status_view(
            request,
            object_id,
            service=account_reactivate,
            title=gettext("Reactivate the account"),
            explanation=gettext(
                "Its holder can sign in again, and it is no longer due for deletion. An MIS "
                "account its school still shows as a leaver may be deactivated again by a "
                "later provisioning run of its school."
            ),
            done=gettext("%(username)s has been reactivated."),
        )

    def _status_action(self, request, queryset, *, service, done_text):
        done = 0
        for account in queryset:
            try:
                service(actor=request.user, account=account, ip_address=client_ip(request))
            except AccountError as error:
                self.message_user(request, f"{account}: {error}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, done_text(done) % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Deactivate selected accounts"), permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._status_action(
            request,
            queryset,
            service=account_deactivate_by_hwb_team,
            done_text=lambda n: ngettext(
                "%(count)d account deactivated.", "%(count)d accounts deactivated.", n
            ),
        )

    @admin.action(description=_("Reactivate selected accounts"), permissions=["change"])
    def reactivate_selected(self, request, queryset):
        self._status_action(
            request,
            queryset,
            service=account_reactivate,
            done_text=lambda n: ngettext(
                "%(count)d account reactivated.", "%(count)d accounts reactivated.", n
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_grant_role": request.user.has_perm("accounts.add_schoolrole"),
        }
        return super().change_view(request, object_id, form_url, extra_context)
