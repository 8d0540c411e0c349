"""Claims on accounts: one open request to move an account, whichever route asks.

Account Transfer and the service desk each open a claim in the transaction that opens their
request and close it in the one that ends it; the partial unique indexes on AccountMoveClaim
refuse a second open claim on either account, so two routes racing each other cannot both
hold one. Each route words its own refusal: ``AccountClaimed`` says which route holds it.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AccountMoveClaim, User
from .errors import AccountError


class AccountClaimed(AccountError):
    """One of the accounts is already in an open request to move an account."""

    def __init__(self, message: str, *, route: str | None):
        super().__init__(message)
        self.route = route


def account_move_claim_open(*, account: User, requester: User, route: str) -> AccountMoveClaim:
    """Claim ``account`` (to move in place of ``requester``) for ``route``, in the caller's
    transaction; AccountClaimed if either account is in an open claim already."""
    if route not in AccountMoveClaim.Route.values:
        raise AccountError(_("Unknown route for moving an account."))
    try:
        with transaction.atomic():
            return AccountMoveClaim.objects.create(
                account=account, requester=requester, route=route
            )
    except IntegrityError:
        holder = (
            AccountMoveClaim.objects.filter(closed_at__isnull=True)
            .filter(Q(account__in=[account, requester]) | Q(requester__in=[account, requester]))
            .values_list("route", flat=True)
            .first()
        )
        raise AccountClaimed(
            _("There is already an open request to move one of these accounts."), route=holder
        ) from None


def account_move_claim_close(*, account: User, requester: User, route: str) -> int:
    """Close the open claim ``route`` holds on ``account`` for ``requester`` (none is fine)."""
    return AccountMoveClaim.objects.filter(
        account=account, requester=requester, route=route, closed_at__isnull=True
    ).update(closed_at=timezone.now())
