"""The second factor: who needs one, setting up an authenticator app, checking its codes,
recovery codes, and the Hwb team's reset. django-otp keeps the devices; only these functions
change them, and each change is audited."""

import secrets
import time
from base64 import b32decode, b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .emails import email_enqueue
from .models import SchoolRole, User
from .rules import Refusal, account_management_refusal, is_hwb_team
from .selectors import interface_language, user_school_roles
from .services import account_sessions_end, audit_record

KINDS_NEEDING_SECOND_FACTOR = {User.Kind.HWB_TEAM, User.Kind.LA_OFFICER}
ROLES_NEEDING_SECOND_FACTOR = (SchoolRole.Role.HEADTEACHER, SchoolRole.Role.DIGITAL_CHAMPION)
RECOVERY_CODE_COUNT = 10
KEY_BYTES = 20  # 160 bits, as RFC 4226 recommends; 32 characters of base32
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
_CACHE_ATTRIBUTE = "_hwb_second_factor_required"


class SecondFactorError(Exception):
    """A code or a request about the second factor was refused; the message is for the person.

    ``code`` says why: "missing", "wrong", "used" (a code already accepted once), "throttled"
    (too many wrong codes: wait), or "refused" (a rule said no).
    """

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


# --- Reads ------------------------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    """The Hwb team (and anyone with admin access), local-authority officers, headteachers and
    digital champions must have a second factor. Remembered on the user object of a request."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = (
            user.is_staff
            or user.is_superuser
            or user.kind in KINDS_NEEDING_SECOND_FACTOR
            or any(role in ROLES_NEEDING_SECOND_FACTOR for _school, role in user_school_roles(user))
        )
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def second_factor_app(user: User) -> TOTPDevice | None:
    """The account's confirmed authenticator app, if it has set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@dataclass(frozen=True)
class SecondFactorStatus:
    required: bool
    set_up_at: datetime | None
    recovery_codes_left: int

    @property
    def is_set_up(self) -> bool:
        return self.set_up_at is not None


def second_factor_status(user: User) -> SecondFactorStatus:
    """What Your Details shows: needed or not, set up when, recovery codes left."""
    app = second_factor_app(user)
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return SecondFactorStatus(
        required=second_factor_required(user),
        set_up_at=(app.created_at or timezone.now()) if app is not None else None,
        recovery_codes_left=left if app is not None else 0,
    )


def totp_key_new() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def totp_key_text(key: bytes) -> str:
    """The key as people type it into an app: base32 in groups of four ("ABCD EFGH …")."""
    text = b32encode(key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_key_from_text(text: str) -> bytes:
    """The key from its base32 text (spaces and case ignored); ValueError if it is not one."""
    text = "".join(text.split()).upper()
    return b32decode(text + "=" * (-len(text) % 8))


def totp_setup_qr_code(*, user: User, key: bytes) -> str:
    """The otpauth:// address of the key as a QR code: an SVG data URI, made on the server."""
    url = TOTPDevice(user=user, key=key.hex()).config_url
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2)


def recovery_code_display(code: str) -> str:
    """Recovery codes are shown in two groups of four ("abcd-efgh"); either form is accepted."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def _code_normalise(code: str) -> str:
    return "".join(ch for ch in code if ch not in " -\t").lower()


# --- Writes -----------------------------------------------------------------------------------


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return sorted(codes)


def _lock_account(user: User) -> None:
    """Serialise changes to one account's second factor (two tabs, a double click)."""
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def second_factor_set_up(
    *, user: User, key: bytes, code: str, ip_address: str | None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator app the person has just added the key to, by a code it shows;
    returns the app and new recovery codes (to be shown once)."""
    _lock_account(user)
    if second_factor_app(user) is not None:
        raise SecondFactorError(
            _("Two-step verification is already set up for this account."), code="refused"
        )
    code = _code_normalise(code)
    totp = TOTP(key)
    totp.time = time.time()
    if not (code.isdigit() and len(code) == 6 and totp.verify(int(code), tolerance=1)):
        raise SecondFactorError(
            _(
                "The code is not right. Check that you added the key shown on this page, then "
                "enter the 6-digit code your app shows now."
            ),
            code="wrong",
        )
    TOTPDevice.objects.filter(user=user).delete()
    app = TOTPDevice.objects.create(
        user=user, name=APP_DEVICE_NAME, key=key.hex(), confirmed=True, last_t=totp.t()
    )
    codes = _recovery_codes_replace(user)
    audit_record(
        actor=user,
        action="account.second_factor_set_up",
        target=user,
        school=user.school,
        ip_address=ip_address,
    )
    return app, codes


@transaction.atomic
def second_factor_key_give(
    *, actor: User | None, account: User, key: bytes, ip_address: str | None = None
) -> TOTPDevice:
    """Give an account an authenticator key it did not choose (the demo data's published key).

    The person never saw a QR code: only for demo accounts and the Hwb team's own tools.
    """
    _lock_account(account)
    TOTPDevice.objects.filter(user=account).delete()
    app = TOTPDevice.objects.create(
        user=account, name=APP_DEVICE_NAME, key=key.hex(), confirmed=True
    )
    audit_record(
        actor=actor,
        action="account.second_factor_given",
        target=account,
        school=account.school,
        ip_address=ip_address,
    )
    return app


def _throttled_message(locked_until: datetime | None) -> str:
    seconds = 1
    if locked_until is not None:
        seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
    if seconds < 120:
        return ngettext(
            "You have entered too many wrong codes. Wait %(seconds)d second, then try again.",
            "You have entered too many wrong codes. Wait %(seconds)d seconds, then try again.",
            seconds,
        ) % {"seconds": seconds}
    return _(
        "You have entered too many wrong codes. Try again after %(time)s, or ask the Hwb service "
        "desk for help."
    ) % {"time": timezone.localtime(locked_until).strftime("%H:%M")}


def _was_used_already(app: TOTPDevice, code: str) -> bool:
    """A right code of the last minute that has already been accepted (codes work once)."""
    totp = TOTP(app.bin_key, app.step, app.t0, app.digits, app.drift)
    totp.time = time.time()
    return totp.verify(int(code), app.tolerance)


def second_factor_verify(*, user: User, code: str, ip_address: str | None) -> Device:
    """Check a code from the authenticator app, or a recovery code (which is then used up).

    Returns the device that accepted it; raises SecondFactorError otherwise. A wrong code is
    recorded on the device (django-otp's throttling: 1, 2, 4, 8… seconds before the next try)
    even though an error is raised, so the transaction ends before the error does.
    """
    code = _code_normalise(code)
    if not code:
        raise SecondFactorError(_("Enter your security code"), code="missing")
    is_app_code = code.isdigit() and len(code) == 6
    error: SecondFactorError | None = None
    with transaction.atomic():
        model = TOTPDevice if is_app_code else StaticDevice
        devices = model.objects.select_for_update().filter(user=user, confirmed=True)
        device = devices.order_by("pk").first()
        allowed, details = device.verify_is_allowed() if device else (True, None)
        if not allowed:
            error = SecondFactorError(
                _throttled_message((details or {}).get("locked_until")), code="throttled"
            )
        elif device is not None and device.verify_token(code):
            audit_record(
                actor=user,
                action="account.second_factor_passed",
                target=user,
                school=user.school,
                ip_address=ip_address,
                details={"method": "app" if is_app_code else "recovery_code"},
            )
        elif is_app_code and device is not None and _was_used_already(device, code):
            error = SecondFactorError(
                _("This code has been used already. Wait for your app to show a new one."),
                code="used",
            )
        else:
            error = SecondFactorError(
                _(
                    "The code is not right. Enter the 6-digit code your authenticator app shows "
                    "now, or one of your recovery codes."
                ),
                code="wrong",
            )
    if error is not None:
        raise error
    return device


@transaction.atomic
def recovery_codes_replace(*, user: User, ip_address: str | None) -> list[str]:
    """New recovery codes for the account holder (the old ones stop working), shown once."""
    _lock_account(user)
    if second_factor_app(user) is None:
        raise SecondFactorError(
            _("Set up two-step verification first: you will be asked the next time you sign in."),
            code="refused",
        )
    codes = _recovery_codes_replace(user)
    audit_record(
        actor=user,
        action="account.recovery_codes_replaced",
        target=user,
        school=user.school,
        ip_address=ip_address,
    )
    return codes


@transaction.atomic
def second_factor_reset(*, actor: User | None, account: User, ip_address: str | None) -> None:
    """The Hwb team removes an account's second factor (a lost phone): the holder sets up a new
    one at their next sign-in, is signed out everywhere now, and is told by email."""
    if actor is not None and not (is_hwb_team(actor) and actor.is_staff):
        raise SecondFactorError(
            _("Only the Hwb team can reset someone's two-step verification."), code="refused"
        )
    refusal = account_management_refusal(actor=actor, account=account)
    if refusal is Refusal.SUPERUSER_ONLY:
        raise SecondFactorError(
            _(
                "Only a member of the Hwb team with full admin rights can reset this account's "
                "two-step verification."
            ),
            code="refused",
        )
    if refusal is Refusal.SELF:
        raise SecondFactorError(
            _(
                "You cannot reset your own two-step verification. Ask another member of the Hwb "
                "team."
            ),
            code="refused",
        )
    _lock_account(account)
    removed = TOTPDevice.objects.filter(user=account).delete()[0]
    removed += StaticDevice.objects.filter(user=account).delete()[0]
    if not removed:
        raise SecondFactorError(
            _("%(username)s has no two-step verification to reset.")
            % {"username": account.username},
            code="refused",
        )
    account_sessions_end(accounts=[account])
    audit_record(
        actor=actor,
        action="account.second_factor_reset",
        target=account,
        school=account.school,
        ip_address=ip_address,
    )
    if account.email:
        email_enqueue(
            to=account.email,
            template="second_factor_reset",
            context={
                "account": account,
                # Empty when the Hwb team acted from the command line: "the Hwb team" then.
                "actor_name": actor.get_full_name() if actor is not None else "",
                "when": timezone.localtime(),
            },
            language=interface_language(account),  # not known: both languages, Welsh first
            bilingual=True,  # Welsh and English, the holder's own language first
        )
