"""The Hwb team's admin for accounts: the records only services write (``records``), accounts
(``accounts``), school roles (``roles``), failed sign-ins (``signin``) and second factors
(``second_factor``). Registered on import."""

from . import accounts, records, roles, second_factor, signin  # noqa: F401
