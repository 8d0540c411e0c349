"""Demo data: schools in two local authorities, each with its people. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import SchoolRole, User
from accounts.services import account_create, school_role_grant
from schools.identifiers import upn_from_digits
from schools.models import LocalAuthority, School

DEMO_PASSWORD = "Hwb-Demo-2026"

SCHOOLS = [
    # dfes, English name, Welsh name, phase
    ("6612001", "Llanberis Primary School", "Ysgol Gynradd Llanberis", "primary"),
    ("6614002", "Brynrefail Secondary School", "Ysgol Uwchradd Brynrefail", "secondary"),
    ("6812003", "Treganna Primary School", "Ysgol Gynradd Treganna", "primary"),
    ("6814004", "Glantaf Secondary School", "Ysgol Uwchradd Glantaf", "secondary"),
]

# (first name, last name) per school: headteacher, digital champion, then staff.
PEOPLE = {
    "6612001": [("Gwenllian", "Ellis"), ("Dafydd", "Prys"), ("Siân", "Jones"), ("Llŷr", "Hughes")],
    "6614002": [
        ("Owain", "Rowlands"),
        ("Ffion", "Williams"),
        ("Rhodri", "ap Iwan"),
        ("Catrin", "O'Neill"),
    ],
    "6812003": [("Bethan", "Morgan"), ("Iwan", "Davies"), ("Sarah", "Jones"), ("Tomos", "Lewis")],
    "6814004": [
        ("Eleri", "Thomas"),
        ("Huw", "Price"),
        ("Angharad", "Evans"),
        ("Ffred", "Parry-Jones"),
    ],
}
LEARNERS = [
    ("Elin", "Roberts"),
    ("Osian", "Griffiths"),
    ("Mali", "Edwards"),
    ("Cai", "Owen"),
    ("Nia", "Pritchard"),
    ("Gruffudd", "Jenkins"),
]


class Command(BaseCommand):
    help = "Create demo schools, staff, learners and a Hwb team account, and print credentials."

    @transaction.atomic
    def handle(self, *args, **options):
        credentials: list[tuple[str, str, str]] = []
        for dfes, name_en, name_cy, phase in SCHOOLS:
            school, _ = School.objects.update_or_create(
                dfes_number=dfes,
                defaults={
                    "name_en": name_en,
                    "name_cy": name_cy,
                    "phase": phase,
                    "local_authority": LocalAuthority.objects.get(code=int(dfes[:3])),
                    "status": School.Status.OPEN,
                },
            )
            people = PEOPLE[dfes]
            for index, (first, last) in enumerate(people):
                with_password = index < 2  # headteacher and champion can sign in at once
                account = self._account(
                    first,
                    last,
                    User.Kind.STAFF,
                    school,
                    password=DEMO_PASSWORD if with_password else None,
                )
                role = {0: SchoolRole.Role.HEADTEACHER, 1: SchoolRole.Role.DIGITAL_CHAMPION}.get(
                    index
                )
                if role:
                    school_role_grant(actor=None, user=account, school=school, role=role)
                label = {0: "headteacher", 1: "digital champion"}.get(index, "staff, no password")
                credentials.append((school.name_en, label, account.username))
            for serial, (first, last) in enumerate(LEARNERS, start=1):
                digits = f"{dfes}{24:02d}{serial:03d}"
                self._account(first, last, User.Kind.LEARNER, school, upn=upn_from_digits(digits))
        if not User.objects.filter(username="hwbadmin").exists():
            User.objects.create_superuser(
                "hwbadmin", DEMO_PASSWORD, first_name="Hwb", last_name="Admin"
            )
        self.stdout.write(
            self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000")
        )
        self.stdout.write(f"Password of every account marked * : {DEMO_PASSWORD}")
        for school_name, label, username in credentials:
            star = "" if "no password" in label else " *"
            self.stdout.write(f"  {school_name:32} {label:20} {username}{star}")
        self.stdout.write(f"  {'Django admin (/admin/)':32} {'Hwb team':20} hwbadmin *")

    def _account(self, first, last, kind, school, password=None, upn=None) -> User:
        existing = User.objects.filter(
            school=school, first_name=first, last_name=last, kind=kind
        ).first()
        if existing:
            return existing
        return account_create(
            actor=None,
            first_name=first,
            last_name=last,
            kind=kind,
            school=school,
            password=password,
            upn=upn,
        )
