"""Local demo only: the code an authenticator app holding the published demo key shows now."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from accounts.models import User
from accounts.second_factor import second_factor_app

from ._demo_second_factor import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-step verification code of a demo account (local settings only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo_code runs only with the local settings (DEBUG on): it is for demo data."
            )
        try:
            account = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No account has the username {username!r}.") from None
        app = second_factor_app(account)
        if app is None or app.bin_key != DEMO_TOTP_KEY:
            raise CommandError(
                f"{account.username} has no authenticator app with the demo key "
                "(run seed_demo, or the account set up its own app)."
            )
        now = time.time()
        totp = TOTP(DEMO_TOTP_KEY)
        totp.time = now
        current = f"{totp.token():06d}"
        totp.time = now + totp.step
        following = f"{totp.token():06d}"
        left = totp.step - int(now) % totp.step
        self.stdout.write(f"Code for {account.username}: {current}")
        self.stdout.write(
            f"It changes in {left} s; each code works once (the next one is {following})."
        )
