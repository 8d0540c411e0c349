"""Demo data for new schools, mergers and closures (seed_demo calls it).

Three Gwynedd primaries merge into a new school whose MIS has already sent its staff, so the
local-authority officer can review the proposed matches at once; a new Gwynedd school opened
this term has a teacher who wants to keep the account she had in Cardiff (a service-desk
request). Everything is made through the services, as the real people would.
"""

from datetime import date, timedelta

from accounts.hwb_team import account_update
from accounts.models import User
from accounts.services import account_create, account_password_set
from provisioning.models import MisStaff
from provisioning.services.runs import snapshot_import
from school_changes.models import SchoolNotice
from school_changes.rules import NoticeFields
from school_changes.services.notices import (
    notice_accept,
    notice_school_create,
    notice_schools_closing,
    notice_submit,
    notice_token_issue,
)
from school_changes.services.staff_matches import staff_matches_propose
from schools.models import LocalAuthority, School

CLOSING = [
    ("6612020", "Nant Peris Primary School", "Ysgol Gynradd Nant Peris"),
    ("6612021", "Deiniolen Primary School", "Ysgol Gynradd Deiniolen"),
    ("6612022", "Dinorwig Primary School", "Ysgol Gynradd Dinorwig"),
]
MERGED = ("6612030", "Eryri Primary School", "Ysgol Gynradd Eryri")
NEW_SCHOOL = ("6612040", "Cae Top Primary School", "Ysgol Gynradd Cae Top")

# Staff of the closing schools: code, forename, surname, date of birth, work email, role.
CLOSING_STAFF = {
    "6612020": [
        ("NP01", "Gwenno", "Pritchard", "1972-05-03", "g.pritchard@nantperis.example", "head"),
        ("NP02", "Dafydd", "Lloyd", "1985-11-20", "", "teaching"),
        ("NP03", "Siân", "Hughes", "1990-02-14", "", "teaching"),
        ("NP04", "Sarah", "Jones", "1988-06-01", "", "support"),
        ("NP05", "Iolo", "Parry", "1960-01-21", "", "governor"),
    ],
    "6612021": [
        ("DE01", "Rhian", "Ellis-Owen", "1979-09-09", "r.ellis@deiniolen.example", "head"),
        ("DE02", "Huw", "Roberts", "1983-01-30", "", "teaching"),
        ("DE03", "Sarah", "Jones", "1992-10-10", "", "teaching"),
        ("DE04", "Llinos", "Evans", "1995-03-03", "", "support"),
        ("DE05", "Tegwen", "Rees", "1958-07-12", "", "governor"),
    ],
    "6612022": [
        ("DI01", "Gareth", "Williams", "1969-07-07", "", "head"),
        ("DI02", "Catrin", "ab Owain", "1987-04-04", "", "teaching"),
        ("DI03", "Mererid", "Jenkins", "1961-12-12", "", "teaching"),
        ("DI04", "Bethan", "Hughes", "2001-05-05", "", "ite_student"),
    ],
}
# What the new school's MIS sends: the same people as its office typed them (nicknames,
# no accents, a changed surname, dates of birth missing), two people with the same name, one
# who retires instead, and one teacher from elsewhere.
MERGED_STAFF = [
    ("ER01", "Gwenno", "Pritchard", "1972-05-03", "g.pritchard@nantperis.example", "head"),
    ("ER02", "Dai", "Lloyd", "1985-11-20", "", "teaching"),
    ("ER03", "Sian", "Hughes", "1990-02-14", "", "teaching"),
    ("ER04", "Sarah", "Jones", "1988-06-01", "", "support"),
    ("ER05", "Sarah", "Jones", "1992-10-10", "", "teaching"),
    ("ER06", "Rhian", "Owen", "1979-09-09", "r.ellis@deiniolen.example", "teaching"),
    ("ER07", "Huw", "Roberts", None, "", "teaching"),
    ("ER08", "Llinos", "Evans", None, "", "support"),
    ("ER09", "Gareth", "Williams", "1969-07-07", "", "teaching"),
    ("ER10", "Catrin", "Ab-Owain", "1987-04-04", "", "teaching"),
    ("ER11", "Alaw", "Morgan", "1994-08-08", "", "teaching"),
]


def _record(code, forename, surname, born, email, role, *, start, leaving=None) -> dict:
    return {
        "staff_code": code,
        "title": None,
        "forename": forename,
        "surname": surname,
        "date_of_birth": born,
        "work_email": email or None,
        "role": "teaching" if role == "head" else role,
        "is_headteacher": role == "head",
        "start_date": start,
        "leaving_date": leaving,
    }


def _snapshot(dfes: str, staff: list[dict], extracted_at) -> dict:
    return {
        "school": dfes,
        "mis": "SIMS",
        "client_version": "demo",
        "extracted_at": extracted_at.isoformat(),
        "learners": [],
        "staff": staff,
    }


def next_monday_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def school_changes_seed(*, now, hwb_team: User, password: str) -> dict:
    """Create the demo's officer, the merger (notified, set up, its new school's MIS run, matches
    proposed) and the new school with a teacher from Cardiff. Safe to run twice."""
    gwynedd = LocalAuthority.objects.get(code=661)
    officer = User.objects.filter(kind=User.Kind.LA_OFFICER, local_authority=gwynedd).first()
    if officer is None:
        officer = account_create(
            actor=None,
            first_name="Mared",
            last_name="Lewis",
            kind=User.Kind.LA_OFFICER,
            local_authority=gwynedd,
            password=password,
        )
        # The Hwb team makes her Gwynedd's Hwb administrator too (a tick in the admin).
        account_update(
            actor=hwb_team,
            account=officer,
            changes={"manages_authority_accounts": True},
        )
    closing = {}
    for dfes, name_en, name_cy in CLOSING:
        closing[dfes], _created = School.objects.get_or_create(
            dfes_number=dfes,
            defaults={
                "name_en": name_en,
                "name_cy": name_cy,
                "phase": School.Phase.PRIMARY,
                "local_authority": gwynedd,
                "interface_language": "cy",
            },
        )
    notice = SchoolNotice.objects.filter(closing_schools__in=closing.values()).first()
    token = ""
    if notice is None:
        for dfes, people in CLOSING_STAFF.items():
            staff = [_record(*person, start="2015-09-01") for person in people]
            snapshot_import(school=closing[dfes], snapshot=_snapshot(dfes, staff, now))
        notice, token = _merger_notify_and_set_up(
            officer=officer, hwb_team=hwb_team, closing=list(closing.values()), now=now
        )
    return {"officer": officer, "notice": notice, "token": token}


def _merger_notify_and_set_up(*, officer, hwb_team, closing, now) -> tuple[SchoolNotice, str]:
    """What the officer and the Hwb team have done already: the merger notified and accepted,
    Eryri created and its token issued, the three schools closing, Eryri's MIS run."""
    dfes, name_en, name_cy = MERGED
    notice = notice_submit(
        officer=officer,
        fields=NoticeFields(
            kind=SchoolNotice.Kind.MERGER,
            effective_date=next_monday_after(now.date() + timedelta(weeks=10)),
            new_school_name=name_en,
            new_school_name_cy=name_cy,
            proposed_dfes_number=dfes,
            phase=School.Phase.PRIMARY,
            merging_schools=closing,
            notes="Ysgol newydd ar safle Deiniolen. / A new school on the Deiniolen site.",
        ),
    )
    notice_accept(notice_id=notice.pk, actor=hwb_team)
    notice = notice_school_create(notice_id=notice.pk, actor=hwb_team)
    notice, token = notice_token_issue(notice_id=notice.pk, actor=hwb_team)
    notice = notice_schools_closing(notice_id=notice.pk, actor=hwb_team)
    staff = [_record(*person, start=notice.effective_date.isoformat()) for person in MERGED_STAFF]
    snapshot_import(school=notice.school, snapshot=_snapshot(dfes, staff, now))
    staff_matches_propose(notice=notice, actor=hwb_team)
    return notice, token


# The new school that opened this term, and a teacher who left a Cardiff school for it.
NEW_SCHOOL_STAFF = [
    ("CT01", "Elen", "Parri", "1976-10-02", "", "head"),
    ("CT02", "Ifan", "Morris", "1986-06-19", "", "teaching"),
    ("CT03", "Lowri", "Gwyn", "1993-01-25", "", "support"),
]
MOVER_AT_PREVIOUS_SCHOOL = ("TR09", "Ifan", "Morris", "1986-06-19", "", "teaching")


def mover_records(now) -> tuple[dict, dict]:
    """Ifan Morris's staff record at his previous (Cardiff) school: on roll, then a leaver four
    weeks ago. seed_demo sends both in that school's MIS snapshots."""
    on_roll = _record(*MOVER_AT_PREVIOUS_SCHOOL, start="2014-09-01")
    return on_roll, dict(on_roll, leaving_date=(now - timedelta(weeks=4)).date().isoformat())


def new_school_seed(*, now, previous_school: School, password: str):
    """Cae Top, opened eight weeks ago, whose MIS gave Ifan Morris a new account. Returns his
    (new, previous) accounts."""
    gwynedd = LocalAuthority.objects.get(code=661)
    dfes, name_en, name_cy = NEW_SCHOOL
    school, created = School.objects.get_or_create(
        dfes_number=dfes,
        defaults={
            "name_en": name_en,
            "name_cy": name_cy,
            "phase": School.Phase.PRIMARY,
            "local_authority": gwynedd,
            "opening_date": now.date() - timedelta(weeks=8),
            "interface_language": "en",
        },
    )
    if created:
        opening = school.opening_date.isoformat()
        staff = [_record(*person, start=opening) for person in NEW_SCHOOL_STAFF]
        snapshot_import(school=school, snapshot=_snapshot(dfes, staff, now))
    new = MisStaff.objects.get(school=school, staff_code="CT02").account
    record = MisStaff.objects.filter(school=previous_school, staff_code="TR09").first()
    previous = record.account if record else None
    if created:
        for account in [new] + ([previous] if previous else []):
            account_password_set(actor=None, account=account, password=password)
    return new, previous
