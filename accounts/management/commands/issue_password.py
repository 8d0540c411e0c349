"""For the Hwb team: give an account a one-time password, printed once."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import AccountError, account_password_reset


class Command(BaseCommand):
    help = "Print a one-time password for USERNAME; it must be changed at the next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        try:
            account = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No account has the username {username!r}.") from None
        try:
            password = account_password_reset(actor=None, account=account, ip_address=None)
        except AccountError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"One-time password for {account.username}: {password}")
        self.stdout.write("It is shown only now; the holder must change it at the next sign-in.")
