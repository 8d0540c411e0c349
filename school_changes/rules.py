"""The rules of a local authority's notice: the notice period, and what makes a notice sound
(which schools, which authority, which DfES number). The forms show each problem at its field;
``notice_submit`` checks them again with the schools locked."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from school_changes.models import SchoolNotice
from schools.identifiers import is_valid_dfes_number
from schools.models import School

Kind = SchoolNotice.Kind
Status = SchoolNotice.Status
NOTE_MAX = 2000
NAME_MAX = 200
# A closure's receiving schools and a merger's schools: more than this is a typing mistake.
SCHOOLS_MAX = 20


class NoticeError(Exception):
    """A notice rule said no; the message says what is wrong and who can put it right.

    ``field`` names the form field to put right, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def notice_period_check(effective_date: date, today: date | None = None) -> tuple[bool, int]:
    """(is_late, notice_days) for a notice sent ``today`` about ``effective_date``.

    Late means fewer than HWB_NOTICE_MIN_WEEKS weeks' notice: accepted, but the new school may
    not be set up in Hwb, with its Provisioning Client running, by its date. A date already
    past is refused: the notice must come before the change.
    """
    today = today or timezone.localdate()
    notice_days = (effective_date - today).days
    if notice_days < 0:
        raise NoticeError(
            _("The date must be today or in the future: tell the Hwb team before the change."),
            field="effective_date",
        )
    return notice_days < settings.HWB_NOTICE_MIN_WEEKS * 7, notice_days


def notice_deadline(effective_date: date) -> date:
    """The last day a notice about ``effective_date`` is on time."""
    return effective_date - timedelta(weeks=settings.HWB_NOTICE_MIN_WEEKS)


def _schools_in_open_notices(schools: list[School], *, exclude: int | None = None) -> list[School]:
    """Those of ``schools`` already closing or continuing in an open merger or closure notice."""
    ids = [school.pk for school in schools]
    open_notices = SchoolNotice.objects.filter(
        status__in=SchoolNotice.OPEN, kind__in=(Kind.MERGER, Kind.CLOSURE)
    ).exclude(pk=exclude)
    busy = set(
        open_notices.filter(closing_schools__in=ids).values_list("closing_schools", flat=True)
    ) | set(
        open_notices.filter(continuing_school__in=ids).values_list("continuing_school", flat=True)
    )
    return [school for school in schools if school.pk in busy]


@dataclass
class NoticeFields:
    """What an officer tells the Hwb team, as the form cleaned it."""

    kind: str
    effective_date: date | None
    new_school_name: str = ""
    new_school_name_cy: str = ""
    proposed_dfes_number: str = ""
    phase: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    # A merger: every school merging (the continuing one too). A closure: the one closing.
    merging_schools: list[School] = field(default_factory=list)
    continuing_school: School | None = None
    receiving_schools: list[School] = field(default_factory=list)
    notes: str = ""

    @property
    def makes_new_school(self) -> bool:
        return self.kind == Kind.NEW_SCHOOL or (
            self.kind == Kind.MERGER and self.continuing_school is None
        )

    @property
    def closing_schools(self) -> list[School]:
        return [school for school in self.merging_schools if school != self.continuing_school]


def notice_problems(
    *, officer: User, fields: NoticeFields, today: date | None = None
) -> list[NoticeError]:
    """Everything wrong with a notice this officer wants to send (empty: it may be sent).

    Forms show each problem at its field; notice_submit checks again, under lock, and refuses.
    """
    problems: list[NoticeError] = []
    if officer.kind != User.Kind.LA_OFFICER or not officer.local_authority_id:
        return [
            NoticeError(
                _(
                    "Only local-authority officers can send notices. Ask the Hwb team to set up "
                    "your account for your authority."
                )
            )
        ]
    if fields.kind not in Kind.values:
        return [NoticeError(_("Choose a new school, a merger or a closure."), field="kind")]
    if fields.effective_date is None:  # a form reporting every problem at once sends none
        problems.append(NoticeError(_("Enter the date"), field="effective_date"))
    else:
        try:
            notice_period_check(fields.effective_date, today)
        except NoticeError as error:
            problems.append(error)

    authority = officer.local_authority_id
    if fields.makes_new_school:
        if not fields.new_school_name:
            problems.append(NoticeError(_("Enter the new school's name"), field="new_school_name"))
        if fields.phase not in School.Phase.values:
            problems.append(NoticeError(_("Choose the new school's phase"), field="phase"))
        dfes_number = fields.proposed_dfes_number
        if dfes_number:
            if not is_valid_dfes_number(dfes_number):
                problems.append(
                    NoticeError(
                        _("Enter a DfES number of 7 digits, like 6612345, or leave it blank"),
                        field="proposed_dfes_number",
                    )
                )
            elif int(dfes_number[:3]) != authority:
                problems.append(
                    NoticeError(
                        _(
                            "The DfES number must start with your authority's number, "
                            "%(code)d: a school's number comes from its local authority."
                        )
                        % {"code": authority},
                        field="proposed_dfes_number",
                    )
                )
            elif School.objects.filter(dfes_number=dfes_number).exists():
                problems.append(
                    NoticeError(
                        _(
                            "A school in Hwb already has the DfES number %(dfes)s. Check the "
                            "number, or leave it blank and the Hwb team will ask you."
                        )
                        % {"dfes": dfes_number},
                        field="proposed_dfes_number",
                    )
                )
            elif SchoolNotice.objects.filter(
                status__in=SchoolNotice.OPEN, proposed_dfes_number=dfes_number
            ).exists():
                problems.append(
                    NoticeError(
                        _("Another open notice already proposes the DfES number %(dfes)s.")
                        % {"dfes": dfes_number},
                        field="proposed_dfes_number",
                    )
                )
    if fields.kind == Kind.NEW_SCHOOL:
        if not fields.contact_name:
            problems.append(
                NoticeError(
                    _("Enter the name of a contact for the new school"), field="contact_name"
                )
            )
        if not fields.contact_email:
            problems.append(
                NoticeError(
                    _("Enter the contact's email address, like name@example.org"),
                    field="contact_email",
                )
            )

    if fields.kind in (Kind.MERGER, Kind.CLOSURE):
        schools = list(fields.merging_schools)
        field_name = "merging_schools" if fields.kind == Kind.MERGER else "closing_school"
        if fields.kind == Kind.MERGER and len(schools) < 2:
            problems.append(
                NoticeError(_("Choose at least two schools that are merging"), field=field_name)
            )
        if fields.kind == Kind.CLOSURE and len(schools) != 1:
            problems.append(NoticeError(_("Choose the school that is closing"), field=field_name))
        if len(schools) > SCHOOLS_MAX:
            problems.append(
                NoticeError(
                    _("A notice can name at most %(max)d schools.") % {"max": SCHOOLS_MAX},
                    field=field_name,
                )
            )
        for school in schools:
            if school.local_authority_id != authority:
                problems.append(
                    NoticeError(
                        _(
                            "%(school)s is not one of your authority's schools: only its own "
                            "local authority can tell the Hwb team it is changing."
                        )
                        % {"school": school},
                        field=field_name,
                    )
                )
            elif school.status != School.Status.OPEN:
                problems.append(
                    NoticeError(
                        _("%(school)s is not open in Hwb (it is %(status)s).")
                        % {"school": school, "status": school.get_status_display().lower()},
                        field=field_name,
                    )
                )
        for school in _schools_in_open_notices(schools):
            problems.append(
                NoticeError(
                    _(
                        "%(school)s is already in an open merger or closure notice: withdraw "
                        "that notice first, or ask the Hwb team to decline it."
                    )
                    % {"school": school},
                    field=field_name,
                )
            )
        if fields.continuing_school is not None and fields.continuing_school not in schools:
            problems.append(
                NoticeError(
                    _("The continuing school must be one of the schools that are merging"),
                    field="continuing_school",
                )
            )
    if fields.kind == Kind.CLOSURE:
        if not fields.receiving_schools:
            problems.append(
                NoticeError(
                    _("Enter the DfES number of at least one school its staff and learners go to"),
                    field="receiving_schools",
                )
            )
        if len(fields.receiving_schools) > SCHOOLS_MAX:
            problems.append(
                NoticeError(
                    _("Enter at most %(max)d receiving schools.") % {"max": SCHOOLS_MAX},
                    field="receiving_schools",
                )
            )
        for school in fields.receiving_schools:
            if school in fields.merging_schools:
                problems.append(
                    NoticeError(
                        _("%(school)s is the school that is closing: it cannot receive its staff.")
                        % {"school": school},
                        field="receiving_schools",
                    )
                )
            elif school.status != School.Status.OPEN:
                problems.append(
                    NoticeError(
                        _("%(school)s is not open in Hwb (it is %(status)s).")
                        % {"school": school, "status": school.get_status_display().lower()},
                        field="receiving_schools",
                    )
                )
    if len(fields.notes) > NOTE_MAX:
        problems.append(NoticeError(_("Write notes of up to 2,000 characters"), field="notes"))
    return problems
