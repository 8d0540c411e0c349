"""Local authorities and schools: the organisations every account belongs to."""

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .identifiers import validate_dfes_number


class LocalAuthority(models.Model):
    code = models.PositiveSmallIntegerField(_("LA number"), primary_key=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_cy = models.CharField(_("name (Welsh)"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("local authority")
        verbose_name_plural = _("local authorities")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_cy if get_language() == "cy" else self.name_en


class School(models.Model):
    class Phase(models.TextChoices):
        NURSERY = "nursery", _("Nursery")
        PRIMARY = "primary", _("Primary")
        MIDDLE = "middle", _("All-through (3 to 16/19)")
        SECONDARY = "secondary", _("Secondary")
        SPECIAL = "special", _("Special")
        PRU = "pru", _("Pupil referral unit")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        OPEN = "open", _("Open")
        CLOSING = "closing", _("Closing")
        CLOSED = "closed", _("Closed")

    dfes_number = models.CharField(
        _("DfES number"), max_length=7, unique=True, validators=[validate_dfes_number]
    )
    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="schools"
    )
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_cy = models.CharField(_("name (Welsh)"), max_length=200, blank=True)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    opening_date = models.DateField(_("opening date"), null=True, blank=True)
    closing_date = models.DateField(_("closing date"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("For a merger or closure: the school its staff and learners go to."),
    )
    interface_language = models.CharField(
        _("default interface language"),
        max_length=2,
        choices=[("en", _("English")), ("cy", _("Welsh"))],
        default="en",
        help_text=_("The language its people see until they choose one themselves."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dfes_number"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(successor=models.F("id")),
                name="school_not_own_successor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dfes_number})"

    @property
    def name(self) -> str:
        """The name in the reader's language; a school without a Welsh name keeps its own."""
        if get_language() == "cy" and self.name_cy:
            return self.name_cy
        return self.name_en


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
        "accounts.User",
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
        ordering = ["-created_at", "-id"]
        verbose_name = _("school change notice")
        verbose_name_plural = _("school change notices")
        indexes = [models.Index(fields=["local_authority", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.effective_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class SchoolNoticeEvent(models.Model):
    """One step in a notice's life, shown to the local authority as its timeline."""

    notice = models.ForeignKey(SchoolNotice, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    actor_username = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("notice event")
        verbose_name_plural = _("notice events")

    def __str__(self) -> str:
        return f"{self.notice_id} {self.action}"
