"""The one error type accounts' services raise (its message is for the person who asked)."""


class AccountError(Exception):
    """A rule of the accounts domain said no; the message is for the person who asked."""


class AccountResetRepeated(AccountError):
    """The same reset form arrived twice (a double click): the first one's password stands."""
