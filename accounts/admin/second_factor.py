"""The Hwb team's admin action for a lost phone: reset an account's two-step verification.

django-otp's own admin pages are not offered: they would show people's keys and change devices
past the audited services.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.http import client_ip

from ..second_factor import SecondFactorError, second_factor_reset

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.action(description=_("Reset two-step verification (a lost phone)"))
def second_factor_reset_action(modeladmin, request, queryset):
    reset = 0
    for account in queryset.order_by("username"):
        try:
            second_factor_reset(actor=request.user, account=account, ip_address=client_ip(request))
        except SecondFactorError as error:
            modeladmin.message_user(request, str(error), messages.WARNING)
        else:
            reset += 1
    if reset:
        modeladmin.message_user(
            request,
            ngettext(
                "Two-step verification reset for %(count)d account: its holder sets it up again "
                "at their next sign-in and has been emailed.",
                "Two-step verification reset for %(count)d accounts: their holders set it up "
                "again at their next sign-in and have been emailed.",
                reset,
            )
            % {"count": reset},
            messages.SUCCESS,
        )
