"""Writes to accounts, by subject; import them from here.

- ``audit``: the audit log every change goes to (and the schools import written to it);
- ``lifecycle``: accounts made by hand, and deactivating one for deletion;
- ``passwords``: one-time passwords from a reset, known passwords, a holder's own change;
- ``locks``: lifting a lock-out after failed sign-ins;
- ``roles``: headteachers and digital champions;
- ``sessions``: sign-ins, sign-outs, the interface language, ending every session of an account;
- ``moves``: the one account-move service every path that moves an account uses;
- ``claims``: one open request to move an account, whichever route (transfer, service desk).

Beside them: ``accounts.bulk`` (set-based inserts for provisioning), ``accounts.retention`` (the
12-month deletion sweep), ``accounts.second_factor`` and ``accounts.hwb_team``.
"""

from .audit import (
    accounts_download_record,
    audit_record,
    credentials_download_record,
    schools_import_audited,
)
from .bulk_resets import passwords_reset_bulk, primary_passwords_kept_set
from .claims import (
    AccountClaimed,
    account_move_claim_close,
    account_move_claim_open,
)
from .errors import AccountError, AccountResetRepeated
from .lifecycle import account_create, account_deactivate
from .locks import account_unlock, signin_address_unlock
from .moves import account_moves_record
from .names import RENAME_REASONS, account_rename, username_would_change
from .non_mis import (
    non_mis_account_close,
    non_mis_account_create,
    non_mis_account_keep,
    non_mis_accounts_close_due,
    non_mis_accounts_expiring,
)
from .passwords import (
    account_password_change,
    account_password_reset,
    account_password_set,
    one_time_password_generate,
)
from .roles import champion_role_set, school_role_grant
from .sessions import account_language_set, account_session_record, account_sessions_end

__all__ = [
    "AccountClaimed",
    "AccountError",
    "AccountResetRepeated",
    "account_create",
    "account_deactivate",
    "account_language_set",
    "account_move_claim_close",
    "account_move_claim_open",
    "account_moves_record",
    "account_password_change",
    "account_password_reset",
    "account_password_set",
    "account_session_record",
    "account_sessions_end",
    "account_unlock",
    "audit_record",
    "one_time_password_generate",
    "school_role_grant",
    "accounts_download_record",
    "credentials_download_record",
    "primary_passwords_kept_set",
    "champion_role_set",
    "passwords_reset_bulk",
    "RENAME_REASONS",
    "account_rename",
    "username_would_change",
    "non_mis_account_close",
    "non_mis_account_create",
    "non_mis_account_keep",
    "non_mis_accounts_close_due",
    "non_mis_accounts_expiring",
    "schools_import_audited",
    "signin_address_unlock",
]
