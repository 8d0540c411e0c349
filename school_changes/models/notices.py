"""A local authority's notices of new schools, mergers and closures, and their timelines."""

import re

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent
from schools.identifiers import validate_dfes_number
from schools.models import LocalAuthority, School

_DFES_IN_NOTE = re.compile(r"\((\d{7})\)")


class SchoolNotice(models.Model):
    """A local authority telling the Hwb team of a new school, a merger or a closure."""

    class Kind(models.TextChoices):
        NEW_SCHOOL = "new_school", _("New school opening")
        MERGER = "merger", _("Merger")
        CLOSURE = "closure", _("Closure")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("Being set up by the Hwb team")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN = (Status.RECEIVED, Status.IN_PROGRESS)

    kind = models.CharField(_("kind of notice"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    local_authority = models.ForeignKey(
        LocalAuthority,
        verbose_name=_("local authority"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by_username = models.CharField(_("sent by"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The opening date (new school), the date the new school opens (merger), or the date the
    # school closes (closure).
    effective_date = models.DateField(_("date"))
    notice_days = models.PositiveIntegerField(_("days of notice given"), default=0)
    is_late = models.BooleanField(_("late notice"), default=False)
    # The new school: a new school opening, or a merger that makes a new school.
    new_school_name = models.CharField(_("new school's name (English)"), max_length=200, blank=True)
    new_school_name_cy = models.CharField(
        _("new school's name (Welsh)"), max_length=200, blank=True
    )
    proposed_dfes_number = models.CharField(
        _("proposed DfES number"), max_length=7, blank=True, validators=[validate_dfes_number]
    )
    phase = models.CharField(_("phase"), max_length=20, choices=School.Phase.choices, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), max_length=254, blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=40, blank=True)
    # A merger's closing schools, or the one school a closure closes.
    closing_schools = models.ManyToManyField(
        School, verbose_name=_("closing schools"), related_name="closing_notices", blank=True
    )
    # A merger where one of the schools carries on as the new school.
    continuing_school = models.ForeignKey(
        School,
        verbose_name=_("continuing school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A closure: the schools its staff and learners go to.
    receiving_schools = models.ManyToManyField(
        School, verbose_name=_("receiving schools"), related_name="receiving_notices", blank=True
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    # The language of the page the notes were written on, for their lang attribute.
    notes_language = models.CharField(max_length=2, blank=True, default="", db_default="")
    # Set by the Hwb team: the school this notice opened (or the merger's continuing school).
    school = models.ForeignKey(
        School,
        verbose_name=_("school in Hwb"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opening_notices",
    )
    hwb_note = models.TextField(_("note from the Hwb team"), max_length=2000, blank=True)

    class Meta:
        db_table = "transfers_schoolnotice"  # the table it had in transfers: no data moved
        ordering = ["-created_at", "-id"]
        verbose_name = _("school change notice")
        verbose_name_plural = _("school change notices")
        indexes = [models.Index(fields=["local_authority", "status"])]

    def __str__(self) -> str:
        return str(
            _("%(kind)s (notice %(number)s), %(date)s")
            % {
                "kind": self.get_kind_display(),
                "number": self.pk,
                "date": date_format(self.effective_date, "j F Y"),
            }
        )

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def new_school_name_here(self) -> str:
        """The new school's name in the page's language (its Welsh name on a Welsh page)."""
        if get_language() == "cy" and self.new_school_name_cy:
            return self.new_school_name_cy
        return self.new_school_name

    @property
    def new_school_name_lang(self) -> str:
        """The language ``new_school_name_here`` is in (for its ``lang`` attribute)."""
        return "cy" if get_language() == "cy" and self.new_school_name_cy else "en"


class SchoolNoticeEvent(TimelineEvent):
    """One step in a notice's life, shown to the local authority as its timeline."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Sent by %(who)s")
        WITHDRAWN = "withdrawn", _("Withdrawn by %(who)s")
        ACCEPTED = "accepted", _("The Hwb team started setting it up")
        SCHOOL_CREATED = "school_created", _("The Hwb team created the school in Hwb: %(note)s")
        SCHOOL_RECORDED = (
            "school_recorded",
            _("The Hwb team recorded the continuing school: %(note)s"),
        )
        TOKEN_ISSUED = (
            "token_issued",
            _("The Hwb team issued the school's Provisioning Client token"),
        )
        SCHOOLS_CLOSING = (
            "schools_closing",
            _("The Hwb team marked the closing schools as closing (successor: %(note)s)"),
        )
        COMPLETED = "completed", _("Completed by the Hwb team")
        DECLINED = "declined", _("Declined by the Hwb team")
        SCHOOLS_OPENED = "schools_opened", _("Opened in Hwb: %(note)s")
        SCHOOLS_CLOSED = "schools_closed", _("Closed in Hwb: %(note)s")
        MATCHES_PROPOSED = "matches_proposed", _("Staff account matches proposed")
        MATCHES_SUBMITTED = "matches_submitted", _("Staff account matches submitted by %(who)s")
        MATCHES_RETURNED = (
            "matches_returned",
            _("The Hwb team returned the staff account matches: %(note)s"),
        )
        MATCHES_APPROVED = "matches_approved", _("The Hwb team approved the staff account matches")
        ACCOUNTS_MOVED = "accounts_moved", _("Staff accounts moved to the new school")

    subject_field = "notice"
    NOTE_APPENDED = ("accepted", "completed", "declined")
    # Steps whose note names schools as "Name (6612345)": shown in the reader's language.
    NOTE_NAMES_SCHOOLS = ("school_created", "school_recorded", "schools_closing")
    notice = models.ForeignKey(SchoolNotice, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("what happened"), max_length=40, choices=Action.choices)

    def text_values(self) -> dict[str, str]:
        values = super().text_values()
        numbers = _DFES_IN_NOTE.findall(self.note) if self.action in self.NOTE_NAMES_SCHOOLS else []
        if numbers:
            # The note was written in its writer's language; the reader's may differ.
            schools = School.objects.filter(dfes_number__in=numbers).order_by("dfes_number")
            if schools:
                values["note"] = ", ".join(str(school) for school in schools)
        return values

    class Meta(TimelineEvent.Meta):
        db_table = "transfers_schoolnoticeevent"
        verbose_name = _("notice event")
        verbose_name_plural = _("notice events")
