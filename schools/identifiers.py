"""The one place that knows what a DfES number and a UPN look like (see docs/domain.md)."""

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# LA number -> (English name, Welsh name), as published by the Welsh Government.
WELSH_LOCAL_AUTHORITIES: dict[int, tuple[str, str]] = {
    660: ("Isle of Anglesey", "Ynys Môn"),
    661: ("Gwynedd", "Gwynedd"),
    662: ("Conwy", "Conwy"),
    663: ("Denbighshire", "Sir Ddinbych"),
    664: ("Flintshire", "Sir y Fflint"),
    665: ("Wrexham", "Wrecsam"),
    666: ("Powys", "Powys"),
    667: ("Ceredigion", "Ceredigion"),
    668: ("Pembrokeshire", "Sir Benfro"),
    669: ("Carmarthenshire", "Sir Gaerfyrddin"),
    670: ("Swansea", "Abertawe"),
    671: ("Neath Port Talbot", "Castell-nedd Port Talbot"),
    672: ("Bridgend", "Pen-y-bont ar Ogwr"),
    673: ("Vale of Glamorgan", "Bro Morgannwg"),
    674: ("Rhondda Cynon Taf", "Rhondda Cynon Taf"),
    675: ("Merthyr Tydfil", "Merthyr Tudful"),
    676: ("Caerphilly", "Caerffili"),
    677: ("Blaenau Gwent", "Blaenau Gwent"),
    678: ("Torfaen", "Tor-faen"),
    679: ("Monmouthshire", "Sir Fynwy"),
    680: ("Newport", "Casnewydd"),
    681: ("Cardiff", "Caerdydd"),
}

_DFES_RE = re.compile(r"[0-9]{7}")
# 23 letters, no I, O or S: A = 0 ... Z = 22.
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_RE = re.compile(r"[A-Z][0-9]{11}[0-9A-Z]")


# The contract's year groups in school order: nursery 1 and 2, reception, years 1 to 14, and X
# (a special school's learners outside the year groups). Primary: nursery to year 6.
YEAR_GROUP_ORDER = ("N1", "N2", "R", *map(str, range(1, 15)), "X")
PRIMARY_YEAR_GROUPS = frozenset(YEAR_GROUP_ORDER[:9])


def normalise_dfes_number(value: str) -> str:
    """Strip the spaces and dashes people type ("661 2345", "661-2345")."""
    return re.sub(r"[\s\-]", "", value or "")


def validate_dfes_number(value: str) -> None:
    """A DfES number is 7 digits whose first three are a Welsh local authority's number."""
    if not _DFES_RE.fullmatch(value or ""):
        raise ValidationError(
            _("Enter a DfES number of 7 digits, like 6612345."), code="dfes_format"
        )
    if int(value[:3]) not in WELSH_LOCAL_AUTHORITIES:
        raise ValidationError(
            _(
                "%(prefix)s is not a Welsh local authority's number: a DfES number starts with "
                "one, from 660 to 681."
            ),
            code="dfes_not_welsh",
            params={"prefix": value[:3]},
        )


def dfes_number_problem(value: str) -> str:
    """What is wrong with a typed DfES number, in words (empty when it is a valid one)."""
    try:
        validate_dfes_number(value)
    except ValidationError as error:
        return error.messages[0]
    return ""


def is_valid_dfes_number(value: str) -> bool:
    try:
        validate_dfes_number(value)
    except ValidationError:
        return False
    return True


def upn_check_letter(upn: str) -> str:
    """The check letter for characters 2..13 of a UPN (a temporary UPN's last is a letter)."""
    total = 0
    for position, char in enumerate(upn[1:13], start=2):
        value = int(char) if char.isdigit() else UPN_CHECK_LETTERS.index(char)
        total += value * position
    return UPN_CHECK_LETTERS[total % 23]


def validate_upn(value: str) -> None:
    """Raise ValidationError with a code (upn_format, invalid_check_letter) unless valid."""
    if not isinstance(value, str) or not _UPN_RE.fullmatch(value):
        raise ValidationError(
            _("A UPN is 13 characters: a letter, 11 digits, then a digit or a letter."),
            code="upn_format",
        )
    last = value[12]
    if last.isalpha() and last not in UPN_CHECK_LETTERS:
        raise ValidationError(_("A temporary UPN cannot end in I, O or S."), code="upn_format")
    if value[0] != upn_check_letter(value):
        raise ValidationError(
            _("This UPN's check letter is wrong: check it against the MIS."),
            code="invalid_check_letter",
        )


def is_valid_upn(value: str) -> bool:
    try:
        validate_upn(value)
    except ValidationError:
        return False
    return True


def is_temporary_upn(value: str) -> bool:
    return len(value) == 13 and value[12].isalpha()


def upn_hash(upn: str) -> str:
    """The keyed hash that stands for a UPN: the portal never stores the UPN itself."""
    key = settings.HWB_UPN_HASH_KEY.encode()
    return hmac.new(key, upn.strip().upper().encode(), hashlib.sha256).hexdigest()


def upn_from_digits(digits: str) -> str:
    """Complete 12 characters (LA, establishment, year, serial) with their check letter."""
    return upn_check_letter("?" + digits) + digits
