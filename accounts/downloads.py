"""The champion's account list as a CSV file: the columns on screen, and no cell a spreadsheet
would run as a formula."""

import csv
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from .forms import year_group_label
from .models import User

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (CSV injection): it is written with a leading apostrophe, which they show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def accounts_csv_rows(accounts: Iterable[User]) -> Iterator[str]:
    """The header and one line per account: the list's columns (name, username, kind, roles,
    year and registration group, status, password, last sign-in) and the expiry date."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark: Excel then reads Welsh letters (ŵ, ŷ) right
    yield writer.writerow(
        [
            _("Last name"),
            _("First name"),
            _("Hwb username"),
            _("Kind"),
            _("Roles"),
            _("Year group"),
            _("Registration group"),
            _("Status"),
            _("Password"),
            _("Last sign-in"),
            _("Expires"),
        ]
    )
    for account in accounts:
        status = _("Active") if account.is_active else _("Deactivated")
        if account.is_locked_out:
            status = f"{status}, {_('Locked')}"
        roles = ", ".join(str(role.get_role_display()) for role in account.roles_here)
        if not account.has_usable_password():
            password = _("Never issued")
        elif account.must_change_password:
            password = _("One-time password not yet changed")
        else:
            password = _("Chosen by its holder")
        year = getattr(account, "year_group_here", None)
        yield writer.writerow(
            [
                cell(account.last_name),
                cell(account.first_name),
                cell(account.username),
                cell(account.get_kind_display()),
                cell(roles),
                cell(year_group_label(year) if year else ""),
                cell(getattr(account, "group_here", None)),
                cell(status),
                cell(password),
                account.last_login.date().isoformat() if account.last_login else "",
                account.expires_on.isoformat() if account.expires_on else "",
            ]
        )
