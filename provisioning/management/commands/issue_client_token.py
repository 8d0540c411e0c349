"""For the Hwb team: issue a school's Provisioning Client token, printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from provisioning.credentials import client_token_issue
from schools.identifiers import normalise_dfes_number, validate_dfes_number
from schools.models import School


class Command(BaseCommand):
    help = (
        "Issue a new Provisioning Client token for the school with DFES_NUMBER and print it once. "
        "The school's previous token stops working at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("dfes_number", help="the school's 7-digit DfES number, like 6612345")

    def handle(self, *args, dfes_number: str, **options):
        dfes_number = normalise_dfes_number(dfes_number)
        try:
            validate_dfes_number(dfes_number)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        school = School.objects.filter(dfes_number=dfes_number).first()
        if school is None:
            raise CommandError(
                f"No school has the DfES number {dfes_number}. "
                "Check the number, or import the school first (import_schools)."
            )
        token, secret = client_token_issue(school=school, actor=None)
        self.stdout.write(f"Provisioning Client token for {school.dfes_number} {school.name_en}:")
        self.stdout.write("")
        self.stdout.write(f"    {secret}")
        self.stdout.write("")
        self.stdout.write(
            "It is shown only now and cannot be shown again: the portal keeps only a hash of it. "
            "Give it to the school's Provisioning Client as its bearer token. "
            "Any previous token of this school no longer works."
        )
