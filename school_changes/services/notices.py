"""Local authorities' notices of new schools, mergers and closures, and the Hwb team's steps.

Officers send a notice; the Hwb team accepts it, creates the new school (or records a merger's
continuing school), issues its Provisioning Client token, marks the closing schools, and
completes it. Every step is one transaction that locks the notice, checks its status, adds a
step to its timeline, writes an audit entry and emails the officer who sent it. The daily job
that opens and closes schools on their dates is ``schools``.

They live in school_changes, not schools, because they write the audit log, the outbox and client
tokens (accounts and provisioning): imports run one way, and schools is a floor below.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.emails import email_enqueue
from accounts.models import User
from accounts.selectors import interface_language
from accounts.services import audit_record
from core.models import timeline_event_add
from core.text import text_clean, writing_language
from provisioning.credentials import client_token_issue
from school_changes.models import SchoolNotice, SchoolNoticeEvent
from school_changes.rules import (
    NAME_MAX,
    NOTE_MAX,
    NoticeError,
    NoticeFields,
    notice_period_check,
    notice_problems,
)
from schools.identifiers import is_valid_dfes_number, normalise_dfes_number
from schools.models import School

Kind = SchoolNotice.Kind
Status = SchoolNotice.Status


# --- Shared steps ---------------------------------------------------------------------------------


def notice_event_add(notice: SchoolNotice, action: str, actor: User | None, note: str = "") -> None:
    """A step on the notice's timeline (its own steps, and its staff matches')."""
    timeline_event_add(SchoolNoticeEvent, subject=notice, action=action, actor=actor, note=note)


def notice_url(notice: SchoolNotice) -> str:
    return settings.HWB_PORTAL_URL + reverse("notices:detail", args=[notice.pk])


def notice_email_officer(notice: SchoolNotice, template: str, **context) -> None:
    """The step's email to the officer who sent the notice, in their language."""
    officer = notice.submitted_by
    if officer is None or not officer.is_active or not officer.email:
        return
    email_enqueue(
        to=officer.email,
        template=template,
        context={"notice": notice, "officer": officer, "notice_url": notice_url(notice), **context},
        language=interface_language(officer),  # not known: both languages, Welsh first
    )


def _locked(notice_id: int) -> SchoolNotice:
    notice = (
        SchoolNotice.objects.select_for_update(of=("self",))
        .select_related("local_authority", "submitted_by", "school", "continuing_school")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        raise NoticeError(_("There is no such notice."))
    return notice


def _require_status(notice: SchoolNotice, *statuses: str) -> None:
    if notice.status not in statuses:
        raise NoticeError(
            _("This notice is %(status)s: this step cannot be taken now.")
            % {"status": notice.get_status_display().lower()}
        )


def _audit(notice: SchoolNotice, action: str, actor: User | None, ip_address, **details) -> None:
    audit_record(
        actor=actor,
        action=f"notice.{action}",
        target=notice,
        school=notice.school,
        ip_address=ip_address,
        details={"kind": notice.kind, "local_authority": notice.local_authority_id, **details},
    )


# --- The officer's steps --------------------------------------------------------------------------


@transaction.atomic
def notice_submit(
    *,
    officer: User,
    fields: NoticeFields,
    ip_address: str | None = None,
    today: date | None = None,
) -> SchoolNotice:
    """Record the officer's notice, late or not, and tell the officer and the Hwb team."""
    # The schools named are locked, so two notices about one school cannot both pass the check.
    named = [school.pk for school in (*fields.merging_schools, *fields.receiving_schools)]
    if named:
        list(School.objects.select_for_update().filter(pk__in=named).order_by("pk"))
        for school in (*fields.merging_schools, *fields.receiving_schools):
            school.refresh_from_db(fields=["status", "local_authority"])
    problems = notice_problems(officer=officer, fields=fields, today=today)
    if problems:
        raise problems[0]
    is_late, notice_days = notice_period_check(fields.effective_date, today)
    makes_new = fields.makes_new_school
    notice = SchoolNotice.objects.create(
        kind=fields.kind,
        local_authority_id=officer.local_authority_id,
        submitted_by=officer,
        submitted_by_username=officer.username,
        effective_date=fields.effective_date,
        notice_days=notice_days,
        is_late=is_late,
        new_school_name=fields.new_school_name if makes_new else "",
        new_school_name_cy=fields.new_school_name_cy if makes_new else "",
        proposed_dfes_number=fields.proposed_dfes_number if makes_new else "",
        phase=fields.phase if makes_new else "",
        contact_name=fields.contact_name,
        contact_email=fields.contact_email,
        contact_phone=fields.contact_phone,
        continuing_school=fields.continuing_school if fields.kind == Kind.MERGER else None,
        notes=fields.notes,
        notes_language=writing_language() if fields.notes else "",
    )
    if fields.kind in (Kind.MERGER, Kind.CLOSURE):
        notice.closing_schools.set(fields.closing_schools)
    if fields.kind == Kind.CLOSURE:
        notice.receiving_schools.set(fields.receiving_schools)
    notice_event_add(notice, "submitted", officer, _("Late notice") if is_late else "")
    _audit(notice, "submitted", officer, ip_address, late=is_late, notice_days=notice_days)
    notice_email_officer(notice, "notice_received")
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template="notice_submitted",
        context={
            "notice": notice,
            "admin_url": settings.HWB_PORTAL_URL
            + reverse("admin:school_changes_schoolnotice_change", args=[notice.pk]),
        },
        language="en",
    )
    return notice


@transaction.atomic
def notice_withdraw(
    *, notice_id: int, officer: User, ip_address: str | None = None
) -> SchoolNotice:
    """An officer of the authority takes back a notice the Hwb team has not started on."""
    notice = _locked(notice_id)
    if (
        officer.kind != User.Kind.LA_OFFICER
        or officer.local_authority_id != notice.local_authority_id
    ):
        raise NoticeError(_("Only an officer of the notice's local authority can withdraw it."))
    _require_status(notice, Status.RECEIVED)
    notice.status = Status.WITHDRAWN
    notice.save(update_fields=["status", "updated_at"])
    notice_event_add(notice, "withdrawn", officer)
    _audit(notice, "withdrawn", officer, ip_address)
    notice_email_officer(notice, "notice_withdrawn", withdrawn_by=officer)
    return notice


# --- The Hwb team's steps -------------------------------------------------------------------------


@transaction.atomic
def notice_accept(
    *, notice_id: int, actor: User, note: str = "", ip_address: str | None = None
) -> SchoolNotice:
    """The Hwb team starts on the notice: the officer can no longer withdraw it."""
    notice = _locked(notice_id)
    _require_status(notice, Status.RECEIVED)
    note = text_clean(note)[:NOTE_MAX]
    notice.status = Status.IN_PROGRESS
    if note:
        notice.hwb_note = note
    notice.save(update_fields=["status", "hwb_note", "updated_at"])
    notice_event_add(notice, "accepted", actor, note)
    _audit(notice, "accepted", actor, ip_address)
    notice_email_officer(notice, "notice_accepted", note=note)
    return notice


@transaction.atomic
def notice_school_create(
    *,
    notice_id: int,
    actor: User,
    dfes_number: str = "",
    name_en: str = "",
    name_cy: str = "",
    phase: str = "",
    ip_address: str | None = None,
) -> SchoolNotice:
    """Create the new school (proposed, opening on the notice's date), or for a merger with a
    continuing school, record that school as the notice's school. Blank values come from the
    notice."""
    notice = _locked(notice_id)
    _require_status(notice, Status.IN_PROGRESS)
    if notice.kind == Kind.CLOSURE:
        raise NoticeError(_("A closure makes no new school."))
    if notice.school_id:
        raise NoticeError(
            _("This notice's school is already in Hwb: %(school)s.") % {"school": notice.school}
        )
    if notice.kind == Kind.MERGER and notice.continuing_school_id:
        notice.school = notice.continuing_school
        notice.save(update_fields=["school", "updated_at"])
        notice_event_add(notice, "school_recorded", actor, str(notice.school))
        _audit(notice, "school_recorded", actor, ip_address, school=notice.school.dfes_number)
        notice_email_officer(notice, "notice_school_created", continuing=True)
        return notice

    dfes_number = normalise_dfes_number(dfes_number or notice.proposed_dfes_number)
    name_en = text_clean(name_en or notice.new_school_name)[:NAME_MAX]
    name_cy = text_clean(name_cy or notice.new_school_name_cy)[:NAME_MAX]
    phase = phase or notice.phase
    if not dfes_number:
        raise NoticeError(
            _("Enter the new school's DfES number: ask the local authority if it has none yet."),
            field="dfes_number",
        )
    if not is_valid_dfes_number(dfes_number):
        raise NoticeError(_("Enter a DfES number of 7 digits, like 6612345."), field="dfes_number")
    if int(dfes_number[:3]) != notice.local_authority_id:
        raise NoticeError(
            _("The DfES number must start with the authority's number, %(code)d.")
            % {"code": notice.local_authority_id},
            field="dfes_number",
        )
    if School.objects.filter(dfes_number=dfes_number).exists():
        raise NoticeError(
            _("A school in Hwb already has the DfES number %(dfes)s.") % {"dfes": dfes_number},
            field="dfes_number",
        )
    if not name_en:
        raise NoticeError(_("Enter the school's English name."), field="name_en")
    if phase not in School.Phase.values:
        raise NoticeError(_("Choose the school's phase."), field="phase")
    school = School.objects.create(
        dfes_number=dfes_number,
        local_authority_id=notice.local_authority_id,
        name_en=name_en,
        name_cy=name_cy,
        phase=phase,
        status=School.Status.PROPOSED,
        opening_date=notice.effective_date,
    )
    notice.school = school
    notice.save(update_fields=["school", "updated_at"])
    notice_event_add(notice, "school_created", actor, str(school))
    _audit(notice, "school_created", actor, ip_address, school=school.dfes_number)
    audit_record(
        actor=actor,
        action="schools.school_created",
        target=school,
        school=school,
        ip_address=ip_address,
        details={
            "notice": notice.pk,
            "status": school.status,
            "opening_date": str(school.opening_date),
        },
    )
    notice_email_officer(notice, "notice_school_created", continuing=False)
    return notice


@transaction.atomic
def notice_token_issue(
    *, notice_id: int, actor: User, ip_address: str | None = None
) -> tuple[SchoolNotice, str]:
    """Issue the new school's Provisioning Client token. Returns the raw token: the Hwb team is
    shown it once and passes it on securely; it is never emailed."""
    notice = _locked(notice_id)
    _require_status(notice, Status.IN_PROGRESS)
    if notice.school_id is None:
        raise NoticeError(_("Create the new school first: the token belongs to it."))
    if notice.continuing_school_id and notice.school_id == notice.continuing_school_id:
        raise NoticeError(
            _(
                "The continuing school keeps its own Provisioning Client token: a new one would "
                "stop its client until the school enters it."
            )
        )
    token, raw = client_token_issue(school=notice.school, actor=actor, ip_address=ip_address)
    notice_event_add(notice, "token_issued", actor)
    _audit(notice, "token_issued", actor, ip_address, prefix=token.prefix)
    notice_email_officer(notice, "notice_token_issued")
    return notice, raw


@transaction.atomic
def notice_schools_closing(
    *,
    notice_id: int,
    actor: User,
    successor: School | None = None,
    ip_address: str | None = None,
) -> SchoolNotice:
    """Mark a merger's or closure's closing schools as closing on the notice's date, with their
    successor: a merger's new or continuing school, or the receiving school the Hwb team picks
    for a closure (or none)."""
    notice = _locked(notice_id)
    _require_status(notice, Status.IN_PROGRESS)
    if notice.kind == Kind.NEW_SCHOOL:
        raise NoticeError(_("A new school opening closes no school."))
    if notice.kind == Kind.MERGER:
        if notice.school_id is None:
            raise NoticeError(
                _(
                    "Create the new school (or record the continuing school) first: it is the "
                    "closing schools' successor."
                )
            )
        successor = notice.school
    elif successor is not None and not notice.receiving_schools.filter(pk=successor.pk).exists():
        raise NoticeError(
            _("The successor must be one of the notice's receiving schools."), field="successor"
        )
    closing = list(School.objects.select_for_update().filter(closing_notices=notice).order_by("pk"))
    not_open = [school for school in closing if school.status != School.Status.OPEN]
    if not_open:
        raise NoticeError(
            _("%(school)s is not open (it is %(status)s): nothing was changed.")
            % {"school": not_open[0], "status": not_open[0].get_status_display().lower()}
        )
    for school in closing:
        school.status = School.Status.CLOSING
        school.closing_date = notice.effective_date
        school.successor = successor
        school.save(update_fields=["status", "closing_date", "successor", "updated_at"])
        audit_record(
            actor=actor,
            action="schools.school_closing",
            target=school,
            school=school,
            ip_address=ip_address,
            details={
                "notice": notice.pk,
                "closing_date": str(notice.effective_date),
                "successor": successor.dfes_number if successor else None,
            },
        )
    notice_event_add(
        notice,
        "schools_closing",
        actor,
        str(successor) if successor else _("No successor school"),
    )
    _audit(
        notice,
        "schools_closing",
        actor,
        ip_address,
        schools=[school.dfes_number for school in closing],
        successor=successor.dfes_number if successor else None,
    )
    notice_email_officer(notice, "notice_schools_closing", closing=closing, successor=successor)
    return notice


@transaction.atomic
def notice_complete(
    *, notice_id: int, actor: User, note: str = "", ip_address: str | None = None
) -> SchoolNotice:
    """Close the notice once its schools are set up: the new school created, the closing ones
    marked."""
    notice = _locked(notice_id)
    _require_status(notice, Status.IN_PROGRESS)
    if notice.kind != Kind.CLOSURE and notice.school_id is None:
        raise NoticeError(_("Create the new school (or record the continuing school) first."))
    if (
        notice.kind != Kind.NEW_SCHOOL
        and notice.closing_schools.filter(status=School.Status.OPEN).exists()
    ):
        raise NoticeError(_("Mark the closing schools as closing first."))
    note = text_clean(note)[:NOTE_MAX]
    notice.status = Status.COMPLETED
    if note:
        notice.hwb_note = note
    notice.save(update_fields=["status", "hwb_note", "updated_at"])
    notice_event_add(notice, "completed", actor, note)
    _audit(notice, "completed", actor, ip_address)
    notice_email_officer(notice, "notice_completed", note=note)
    return notice


@transaction.atomic
def notice_decline(
    *, notice_id: int, actor: User, note: str, ip_address: str | None = None
) -> SchoolNotice:
    """The Hwb team will not act on the notice, and says why. Refused once a school has been
    created or marked closing for it (those are undone in the schools' admin first)."""
    notice = _locked(notice_id)
    _require_status(notice, *SchoolNotice.OPEN)
    note = text_clean(note)[:NOTE_MAX]
    if not note:
        raise NoticeError(_("Say why the notice is declined: the officer reads it."), field="note")
    if notice.events.filter(action__in=("school_created", "schools_closing")).exists():
        raise NoticeError(
            _(
                "A school has already been created or marked closing for this notice: undo that "
                "in the schools' admin before declining."
            )
        )
    notice.status = Status.DECLINED
    notice.hwb_note = note
    notice.save(update_fields=["status", "hwb_note", "updated_at"])
    notice_event_add(notice, "declined", actor, note)
    _audit(notice, "declined", actor, ip_address)
    notice_email_officer(notice, "notice_declined", note=note)
    return notice
