"""Demo data: four schools in two local authorities whose people come from MIS snapshots.

Each school's roll arrives as a Provisioning Client would send it, so the accounts, usernames,
headteachers, runs (one with record errors) and a learner's move from a primary to a secondary
are all made by the real services. Safe to run again: a school already provisioned is left as
it is, and the report says where each demo journey stands now (who has moved, what is done).
``--reset`` (local settings only) empties the database and starts the demo afresh.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountMove, SchoolRole, User
from accounts.services import account_password_set, school_role_grant
from provisioning.credentials import client_token_issue
from provisioning.models import MisStaff, ProvisioningRun
from provisioning.services.runs import snapshot_import
from school_changes.models import StaffMatchList
from schools.identifiers import WELSH_LOCAL_AUTHORITIES, upn_from_digits
from schools.models import LocalAuthority, School
from service_desk.models import ServiceDeskRequest
from transfers.models import TransferRequest

from ._demo_second_factor import DEMO_TOTP_KEY_TEXT, demo_second_factors_give
from ._school_changes_demo import mover_records, new_school_seed, school_changes_seed

DEMO_PASSWORD = "Hwb-Demo-2026"

SCHOOLS = [
    # dfes, English name, Welsh name, phase
    ("6612001", "Llanberis Primary School", "Ysgol Gynradd Llanberis", "primary"),
    ("6614002", "Brynrefail Secondary School", "Ysgol Uwchradd Brynrefail", "secondary"),
    ("6812003", "Treganna Primary School", "Ysgol Gynradd Treganna", "primary"),
    ("6814004", "Glantaf Secondary School", "Ysgol Uwchradd Glantaf", "secondary"),
]
# Two schools with nobody yet, whose Provisioning Clients scripts/client_demo.py plays.
CLIENT_DEMO_SCHOOLS = [
    ("6612010", "Bethel Primary School", "Ysgol Gynradd Bethel", "primary"),
    ("6614011", "Syr Hugh Owen Secondary School", "Ysgol Syr Hugh Owen", "secondary"),
]

# (first name, last name) per school: headteacher, digital champion, two teachers, a governor.
PEOPLE = {
    "6612001": [
        ("Gwenllian", "Ellis"),
        ("Dafydd", "Prys"),
        ("Siân", "Jones"),
        ("Llŷr", "Hughes"),
        ("Meirion", "Gwynedd"),
    ],
    "6614002": [
        ("Owain", "Rowlands"),
        ("Ffion", "Williams"),
        ("Rhodri", "ap Iwan"),
        ("Catrin", "O'Neill"),
        ("Alun", "Bebb"),
    ],
    "6812003": [
        ("Bethan", "Morgan"),
        ("Iwan", "Davies"),
        ("Sarah", "Jones"),
        ("Tomos", "Lewis"),
        ("Gareth", "Pugh"),
    ],
    "6814004": [
        ("Eleri", "Thomas"),
        ("Huw", "Price"),
        ("Angharad", "Evans"),
        ("Ffred", "Parry-Jones"),
        ("Rhian", "Beddoe"),
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
# Elin Roberts leaves Llanberis Primary after year 6 and starts at Brynrefail Secondary.


def _staff(dfes: str) -> list[dict]:
    records = []
    for index, (first, last) in enumerate(PEOPLE[dfes]):
        records.append(
            {
                "staff_code": f"{first[0]}{last.replace(' ', '')[:2]}{index}".upper(),
                "title": "Mx",
                "forename": first,
                "surname": last,
                "date_of_birth": f"{1970 + index * 3}-0{index + 1}-15",
                "work_email": None,
                "role": "governor" if index == 4 else "teaching",
                "is_headteacher": index == 0,
                "start_date": f"{2010 + index}-09-01",
                "leaving_date": None,
                # Contract 1.1: the second and third teachers tutor the two registration groups.
                "registration_group": _group(dfes, "AB"[index - 1]) if index in (1, 2) else None,
            }
        )
    return records


def _year_group(dfes: str) -> str:
    return "6" if dfes[3] == "2" else "9"


def _group(dfes: str, letter: str) -> str:
    return f"{_year_group(dfes)}{letter}"


def _learners(dfes: str) -> list[dict]:
    year_group = _year_group(dfes)
    return [
        {
            "upn": upn_from_digits(f"{dfes}24{serial:03d}"),
            "forename": first,
            "surname": last,
            "preferred_forename": None,
            "date_of_birth": "2015-04-17" if year_group == "6" else "2012-03-02",
            "year_group": year_group,
            "admission_date": "2019-09-03",
            "leaving_date": None,
            "registration_group": _group(dfes, "AB"[serial % 2]),
            "classes": [] if year_group == "6" else [f"{_group(dfes, 'AB'[serial % 2])}/Ma"],
        }
        for serial, (first, last) in enumerate(LEARNERS, start=1)
    ]


def _snapshot(dfes: str, learners: list[dict], extracted_at, staff=None) -> dict:
    return {
        "school": dfes,
        "mis": "SIMS",
        "client_version": "demo",
        "extracted_at": extracted_at.isoformat(),
        "learners": learners,
        "staff": staff if staff is not None else _staff(dfes),
    }


class Command(BaseCommand):
    help = "Create demo schools and provision their people from MIS snapshots; print sign-ins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Load the demo data outside the local settings (a throwaway demo server).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the database first and start the demo afresh (local settings only).",
        )

    def handle(self, *args, **options):
        # The demo's accounts share a password printed in the README, one is a superuser: a
        # live portal must never get them. Only the local settings (and the tests') allow it.
        if not settings.HWB_DEMO_DATA_ALLOWED and not options["not_production"]:
            raise CommandError(
                "seed_demo creates accounts whose password is published (and a superuser), so "
                "it runs only with the local settings. For a throwaway demo server, run it "
                "with --i-know-this-is-not-production. For a real portal, create the Hwb "
                "team's first account with: python manage.py createsuperuser"
            )
        if options["reset"]:
            if not settings.HWB_DEMO_DATA_ALLOWED:
                raise CommandError("--reset empties the database: it runs only locally.")
            self._reset()
        self._seed()

    def _reset(self) -> None:
        """Every row gone (Django's flush), then the 22 local authorities back."""
        call_command("flush", interactive=False, verbosity=0)
        for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
            LocalAuthority.objects.update_or_create(
                code=code, defaults={"name_en": name_en, "name_cy": name_cy}
            )
        self.stdout.write("The database was emptied; the demo starts afresh.")

    @transaction.atomic
    def _seed(self):
        now = timezone.now()
        schools = {}
        for dfes, name_en, name_cy, phase in SCHOOLS + CLIENT_DEMO_SCHOOLS:
            schools[dfes], _ = School.objects.update_or_create(
                dfes_number=dfes,
                defaults={
                    "name_en": name_en,
                    "name_cy": name_cy,
                    "phase": phase,
                    "local_authority": LocalAuthority.objects.get(code=int(dfes[:3])),
                    "status": School.Status.OPEN,
                },
            )
        hwb_team = User.objects.filter(username="hwbadmin").first()
        if hwb_team is None:
            hwb_team = User.objects.create_superuser(
                "hwbadmin", DEMO_PASSWORD, first_name="Hwb", last_name="Admin"
            )
        tokens = {}
        fresh = not ProvisioningRun.objects.filter(school__in=schools.values()).exists()
        if fresh:
            tokens = self._provision(schools, now, hwb_team)
        changes = school_changes_seed(now=now, hwb_team=hwb_team, password=DEMO_PASSWORD)
        if changes["token"]:
            tokens[changes["notice"].school.dfes_number] = changes["token"]
        mover = new_school_seed(now=now, previous_school=schools["6812003"], password=DEMO_PASSWORD)
        demo_second_factors_give()
        if fresh:
            self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        else:
            self.stdout.write(
                "The demo data was here already and has not been changed; this is where its "
                "journeys stand now (python manage.py seed_demo --reset starts afresh)."
            )
        self._report({dfes: schools[dfes] for dfes, *_names in SCHOOLS}, tokens)
        self._report_school_changes(changes, mover)
        self.stdout.write(
            "Two-step verification: headteachers, digital champions, the officer and hwbadmin "
            f"give a code after the password. Add the demo key {DEMO_TOTP_KEY_TEXT} to any "
            "authenticator app (time-based), or print the current code with "
            "`python manage.py demo_code USERNAME`."
        )

    def _provision(self, schools, now, hwb_team) -> dict[str, str]:
        llanberis, brynrefail = schools["6612001"], schools["6614002"]
        # Llanberis's MIS: Elin on roll, then a day later a leaver (with two records to correct).
        primary = _learners("6612001")
        snapshot_import(
            school=llanberis, snapshot=_snapshot("6612001", primary, now - timedelta(days=3))
        )
        mistakes = [
            # A mistyped UPN (its check letter is wrong): rejected, for the MIS to correct.
            dict(primary[1], upn="A661200124099", forename="Osian", surname="Gruffydd"),
            # A temporary UPN: accepted, with a warning to replace it when the real one comes.
            dict(primary[2], upn=upn_from_digits("66120012409A"), forename="Lowri"),
        ]
        primary[0] = dict(primary[0], leaving_date=(now - timedelta(days=2)).date().isoformat())
        # Siân Jones, a teacher, leaves Llanberis for Brynrefail: a leaving date here, a new
        # staff record there (with a new account). She can ask to keep her old account.
        left = (now - timedelta(days=2)).date().isoformat()
        llanberis_staff = _staff("6612001")
        llanberis_staff[2] = dict(llanberis_staff[2], leaving_date=left)
        snapshot_import(
            school=llanberis,
            snapshot=_snapshot(
                "6612001", primary + mistakes, now - timedelta(days=2), llanberis_staff
            ),
        )
        # Brynrefail's MIS admits her: her account moves with its username and password.
        secondary = _learners("6614002")
        secondary.append(
            dict(
                primary[0],
                year_group="7",
                admission_date=(now - timedelta(days=1)).date().isoformat(),
                leaving_date=None,
            )
        )
        brynrefail_staff = _staff("6614002") + [
            dict(
                _staff("6612001")[2],
                staff_code="SJO9",
                start_date=(now - timedelta(days=1)).date().isoformat(),
            )
        ]
        snapshot_import(
            school=brynrefail,
            snapshot=_snapshot("6614002", secondary, now - timedelta(days=1), brynrefail_staff),
        )
        mover = MisStaff.objects.get(school=brynrefail, staff_code="SJO9").account
        account_password_set(actor=None, account=mover, password=DEMO_PASSWORD)
        # Ifan Morris teaches at Treganna, then leaves it for Cae Top, a new Gwynedd school.
        treganna = schools["6812003"]
        on_roll, left = mover_records(now)
        learners = _learners("6812003")
        snapshot_import(
            school=treganna,
            snapshot=_snapshot(
                "6812003", learners, now - timedelta(weeks=5), _staff("6812003") + [on_roll]
            ),
        )
        snapshot_import(
            school=treganna,
            snapshot=_snapshot("6812003", learners, now, _staff("6812003") + [left]),
        )
        snapshot_import(
            school=schools["6814004"], snapshot=_snapshot("6814004", _learners("6814004"), now)
        )
        for dfes, *_names in SCHOOLS:
            school = schools[dfes]
            records = MisStaff.objects.filter(school=school).select_related("account")
            by_code = {r.staff_code: r.account for r in records}
            codes = [r["staff_code"] for r in _staff(dfes)]
            headteacher, champion = by_code[codes[0]], by_code[codes[1]]
            school_role_grant(
                actor=None, user=champion, school=school, role=SchoolRole.Role.DIGITAL_CHAMPION
            )
            for account in (headteacher, champion, by_code[codes[2]]):
                account_password_set(actor=None, account=account, password=DEMO_PASSWORD)
            learner = User.objects.filter(school=school, kind=User.Kind.LEARNER).first()
            account_password_set(actor=None, account=learner, password=DEMO_PASSWORD)
        return {
            dfes: client_token_issue(school=schools[dfes], actor=hwb_team)[1]
            for dfes, *_names in CLIENT_DEMO_SCHOOLS
        }

    def _report(self, schools, tokens) -> None:
        self.stdout.write(f"Sign in at {settings.HWB_PORTAL_URL}")
        self.stdout.write(f"Password of every account marked * : {DEMO_PASSWORD}")
        roles = dict(
            SchoolRole.objects.filter(school__in=schools.values()).values_list("user_id", "role")
        )
        for school in schools.values():
            accounts = User.objects.filter(school=school).order_by("kind", "username")
            others = 0
            for account in accounts:
                star = " *" if account.has_usable_password() else ""
                if account.kind == User.Kind.LEARNER and not star:
                    others += 1
                    continue
                label = roles.get(account.pk, account.kind).replace("_", " ")
                self.stdout.write(f"  {school.name_en:30} {label:18} {account.username}{star}")
            self.stdout.write(f"  {school.name_en:30} {'learners':18} and {others} more")
        self.stdout.write(_transfer_story())
        move = AccountMove.objects.filter(to_school__in=schools.values()).first()
        if move:
            self.stdout.write(
                f"Learner {move.account_username} moved by the MIS from "
                f"{move.from_school.name_en} to {move.to_school.name_en}."
            )
        self.stdout.write(f"  {'Django admin (/admin/)':30} {'Hwb team':18} hwbadmin *")
        for dfes, token in tokens.items():
            self.stdout.write(f"Provisioning Client token for {dfes} (shown once): {token}")
        client_tokens = {dfes: tokens[dfes] for dfes, *_n in CLIENT_DEMO_SCHOOLS if dfes in tokens}
        if client_tokens:
            (school_a, token_a), (school_b, token_b) = client_tokens.items()
            self.stdout.write(
                "Play both schools' clients (with the portal running):\n"
                f"  python scripts/client_demo.py --school-a {school_a} --token-a {token_a} "
                f"--school-b {school_b} --token-b {token_b}"
            )

    def _report_school_changes(self, changes, mover) -> None:
        officer, notice = changes["officer"], changes["notice"]
        self.stdout.write(
            f"Local-authority officer for Gwynedd: {officer.username} *. Their Local authority "
            "area (/local-authority/) sends notices of new schools, mergers and closures; as "
            "Gwynedd's Hwb administrator, User management shows Your authority's staff accounts."
        )
        if notice is not None and notice.school is not None:
            self.stdout.write(_merger_story(notice, officer))
        if mover is not None:
            self.stdout.write(_service_desk_story(*mover))


# --- Where each demo journey stands now (the report is true on every run) ----------------------


def _transfer_story() -> str:
    """Siân Jones's Account Transfer from Llanberis (6612001) to Brynrefail."""
    record = MisStaff.objects.filter(school__dfes_number="6614002", staff_code="SJO9").first()
    request = (
        TransferRequest.objects.filter(previous_username="joness")
        .order_by("-created_at", "-pk")
        .first()
    )
    new = request.requester_username if request else (record.account.username if record else "")
    Status = TransferRequest.Status
    if request is None:
        return (
            f"Siân Jones left Llanberis (DfES 6612001, her account joness) for Brynrefail, where "
            f"the MIS gave her {new} *: signed in as {new}, open User management, My Profile, "
            "Account Transfer, and give DfES number 6612001 and username joness."
        )
    if request.status == Status.SUBMITTED:
        return (
            f"Siân Jones ({new}) has asked to keep joness from Llanberis (6612001): waiting for "
            "its headteacher ellisg *, whose email (with the link) is in var/mail/."
        )
    if request.status == Status.APPROVED:
        return (
            f"Siân Jones's request to keep joness was approved: signed in as {new}, User "
            "management, View Request, Proceed with transfer (or Cancel Request)."
        )
    if request.status == Status.COMPLETED:
        return (
            f"Siân Jones moved her account joness to Brynrefail with Account Transfer: she signs "
            f"in as joness *; {new} is closed and will be deleted after 12 months."
        )
    return (
        f"Siân Jones's request to keep joness ended: {request.get_status_display().lower()}. "
        f"Signed in as {new} she may ask again (DfES number 6612001, username joness)."
    )


def _merger_story(notice, officer) -> str:
    closing = ", ".join(s.name_en for s in notice.closing_schools.order_by("dfes_number"))
    where = (
        f"Merger notice {notice.pk}: {closing} become {notice.school.name_en} "
        f"({notice.school.dfes_number}) on {notice.effective_date:%d %B %Y}."
    )
    match_list = StaffMatchList.objects.filter(notice=notice).first()
    status = match_list.status if match_list else None
    if status == StaffMatchList.Status.SUBMITTED:
        return f"{where} Its staff matches wait for hwbadmin's approval (admin, Staff match lists)."
    if status == StaffMatchList.Status.APPROVED:
        return (
            f"{where} Its staff matches are approved: {match_list.to_move} accounts move on "
            f"{notice.effective_date:%d %B %Y}, the notice's date (a daily job moves them)."
        )
    if status == StaffMatchList.Status.COMPLETED:
        return f"{where} Its staff accounts have moved: {match_list.moved} moved."
    return (
        f"{where} Its staff matches are proposed: as {officer.username}, open the notice, review "
        "and submit them; then as hwbadmin approve them in the admin (Staff match lists)."
    )


def _service_desk_story(new, previous) -> str:
    previous_text = f"his account at Treganna was {previous.username} *" if previous else "Treganna"
    request = (
        ServiceDeskRequest.objects.filter(requester_username=new.username)
        .order_by("-created_at", "-pk")
        .first()
    )
    story = (
        f"Ifan Morris moved from Treganna (Cardiff, DfES 6812003) to Cae Top, a new Gwynedd "
        f"school, which gave him {new.username} *; {previous_text}."
    )
    if request is None:
        return (
            f"{story} Signed in as {new.username}: User management, My Profile, Keep my "
            "existing Hwb account, DfES number 6812003. The authorisation email for Treganna's "
            "headteacher lands in var/mail/."
        )
    return f"{story} His service-desk request: {request.get_status_display().lower()}."
