"""The Hwb team's page for school roles (headteachers and digital champions)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.http import client_ip

from ..hwb_team import (
    school_role_revoke,
)
from ..models import SchoolRole, User
from ..services import (
    AccountError,
    school_role_grant,
)


class SchoolRoleGrantForm(forms.Form):
    username = forms.CharField(label=_("Hwb username"), max_length=64)
    role = forms.ChoiceField(label=_("role"), choices=SchoolRole.Role.choices)

    def clean_username(self):
        username = self.cleaned_data["username"].strip().lower()
        account = User.objects.select_related("school").filter(username=username).first()
        if account is None:
            raise forms.ValidationError(_("No account has this username."))
        return account


@admin.register(SchoolRole)
class SchoolRoleAdmin(admin.ModelAdmin):
    """Roles are granted (a form here) and revoked (an action) through the audited services;
    never edited or deleted directly. The headteacher role also follows each school's MIS."""

    list_display = ("user", "role", "school", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "school__dfes_number", "school__name_en")
    list_select_related = ("user", "school")
    actions = ["revoke_selected"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.delete_schoolrole")

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        """Grant a role to an account of its own school, through ``school_role_grant``."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"username": request.GET.get("username", "")[:64]}
        form = SchoolRoleGrantForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            account = form.cleaned_data["username"]
            try:
                if account.school is None:
                    raise AccountError(
                        gettext("Only an account of a school can hold one of its roles.")
                    )
                school_role_grant(
                    actor=request.user,
                    user=account,
                    school=account.school,
                    role=form.cleaned_data["role"],
                    ip_address=client_ip(request),
                )
            except AccountError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    gettext("%(username)s is now %(role)s at %(school)s.")
                    % {
                        "username": account,
                        "role": SchoolRole.Role(form.cleaned_data["role"]).label.lower(),
                        "school": account.school,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_user_change", args=[account.pk])
                )
        return TemplateResponse(
            request,
            "admin/accounts/schoolrole/grant.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Grant a school role"),
                "form": form,
            },
        )

    @admin.action(description=_("Revoke selected roles"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = 0
        for role in queryset.select_related("user", "school"):
            try:
                school_role_revoke(actor=request.user, role=role, ip_address=client_ip(request))
            except AccountError as error:
                self.message_user(request, f"{role}: {error}", messages.WARNING)
            else:
                revoked += 1
        if revoked:
            self.message_user(
                request,
                ngettext("%(count)d role revoked.", "%(count)d roles revoked.", revoked)
                % {"count": revoked},
                messages.SUCCESS,
            )
