"""The demo's published two-step verification key, given to every demo account that needs one.

Published in the README and printed by seed_demo: it is for demo data on a local machine only.
"""

from django.db.models import Q

from accounts.models import User
from accounts.second_factor import (
    KINDS_NEEDING_SECOND_FACTOR,
    ROLES_NEEDING_SECOND_FACTOR,
    second_factor_app,
    second_factor_key_give,
    totp_key_from_text,
    totp_key_text,
)

DEMO_TOTP_KEY = totp_key_from_text("HWBDEMO2FAKEYFORTHEDEMOONLY23456")
DEMO_TOTP_KEY_TEXT = totp_key_text(DEMO_TOTP_KEY)


def demo_second_factors_give() -> int:
    """Give the demo key to each account that needs a second factor and has none yet (an app
    someone set up themselves is kept); returns how many got it."""
    needing = User.objects.filter(
        Q(is_staff=True)
        | Q(kind__in=KINDS_NEEDING_SECOND_FACTOR)
        | Q(school_roles__role__in=ROLES_NEEDING_SECOND_FACTOR)
    ).distinct()
    given = 0
    for account in needing.order_by("username"):
        if second_factor_app(account) is None:
            second_factor_key_give(actor=None, account=account, key=DEMO_TOTP_KEY)
            given += 1
    return given
