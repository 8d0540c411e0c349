"""Mergers and closures: matching the closing schools' staff to the new school's MIS."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import School

from .notices import SchoolNotice


class StaffMatchList(models.Model):
    """The proposed matches for one merger or closure notice, reviewed by the local authority,
    approved by the Hwb team, then carried out by a batch job."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for the local authority's review")
        SUBMITTED = "submitted", _("Waiting for the Hwb team's approval")
        APPROVED = "approved", _("Approved: moving accounts")
        COMPLETED = "completed", _("Accounts moved")

    notice = models.OneToOneField(
        SchoolNotice,
        on_delete=models.PROTECT,
        related_name="match_list",
        verbose_name=_("notice"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    proposed_at = models.DateTimeField(_("matches proposed at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by_username = models.CharField(_("submitted by"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by_username = models.CharField(_("approved by"), max_length=64, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The day the daily job moves the accounts: the merger's or closure's date, so nobody is
    # detached from a school that is still open (empty: as soon as it was approved).
    move_on = models.DateField(_("accounts move on"), null=True, blank=True)
    # When the Hwb team sends the list back to the local authority, why.
    hwb_note = models.TextField(_("note from the Hwb team"), max_length=2000, blank=True)
    started_at = models.DateTimeField(_("moving started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("moving finished at"), null=True, blank=True)
    to_move = models.PositiveIntegerField(_("accounts to move"), default=0)
    moved = models.PositiveIntegerField(_("accounts moved"), default=0)
    skipped = models.PositiveIntegerField(_("accounts skipped"), default=0)
    job_runs = models.PositiveSmallIntegerField(_("times the move job ran"), default=0)

    class Meta:
        db_table = "transfers_staffmatchlist"  # the table it had in transfers: no data moved
        ordering = ["-created_at", "-id"]
        verbose_name = _("staff match list")
        verbose_name_plural = _("staff match lists")

    def __str__(self) -> str:
        return str(_("Staff matches: %(notice)s") % {"notice": self.notice})

    @property
    def moves_later(self) -> bool:
        """Approved, with the accounts to move on a day still to come."""
        return self.status == self.Status.APPROVED and not self.move_is_due()

    def move_is_due(self, today: date | None = None) -> bool:
        """Whether an approved list's accounts may move now (its date has come)."""
        return self.move_on is None or self.move_on <= (today or timezone.localdate())


class StaffMatch(models.Model):
    """One closing-school staff account and the new school's MIS staff record proposed for it."""

    class Confidence(models.TextChoices):
        SURE = "sure", _("Sure")
        DOUBTFUL = "doubtful", _("Doubtful")
        NONE = "none", _("No match")
        CLASH = "clash", _("Clash")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not reviewed")
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")
        REJECTED = "rejected", _("Do not move")

    class SkipReason(models.TextChoices):
        """Why the move job left a confirmed row: stored as the code, shown in the reader's
        language (``%(username)s`` and ``%(school)s`` are the row's)."""

        ACCOUNT_GONE = "account_gone", _("The account %(username)s no longer exists.")
        GOVERNOR = "governor", _("It is not possible to move governor accounts.")
        ITE_STUDENT = "ite_student", _("Accounts of ITE students are not moved.")
        NOT_STAFF = "not_staff", _("Only school staff accounts can be moved.")
        MOVED_MEANWHILE = (
            "moved_meanwhile",
            _("The account is no longer at %(school)s: it was moved or changed meanwhile."),
        )
        CLOSED = "closed", _("The account has been closed since the matches were approved.")
        RECORD_GONE = (
            "record_gone",
            _("The chosen staff record is no longer in the new school's MIS."),
        )
        RECORD_LEAVER = (
            "record_leaver",
            _("The new school's MIS now shows the chosen staff record as a leaver."),
        )
        RECORD_ROLE = (
            "record_role",
            _("The new school's MIS now records this person as a governor or ITE student."),
        )
        RECORD_TAKEN = (
            "record_taken",
            _("The chosen staff record already belongs to another moved account."),
        )
        RECORD_NOT_STAFF = (
            "record_not_staff",
            _("The chosen staff record's account is not a staff account at the new school."),
        )

    class Outcome(models.TextChoices):
        WAITING = "", _("Not moved yet")
        MOVED = "moved", _("Moved")
        SKIPPED = "skipped", _("Skipped")

    match_list = models.ForeignKey(StaffMatchList, on_delete=models.CASCADE, related_name="matches")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("account"),
    )
    account_username = models.CharField(_("username"), max_length=64)
    from_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("closing school")
    )
    proposed_record = models.ForeignKey(
        "provisioning.MisStaff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed staff record"),
    )
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices)
    # Why: codes such as "dob_same", "email_same", "name_variant", "dob_missing", "dob_differs".
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # Other records worth offering the reviewer: [[record id, score], ...], best first.
    alternatives = models.JSONField(default=list, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    # The record the local authority confirmed or chose instead (None: do not move).
    record = models.ForeignKey(
        "provisioning.MisStaff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed staff record"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.WAITING, blank=True
    )
    skip_reason = models.CharField(
        _("why skipped"), max_length=20, choices=SkipReason.choices, blank=True
    )
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)

    class Meta:
        db_table = "transfers_staffmatch"
        ordering = ["from_school_id", "account_username"]
        verbose_name = _("staff match")
        verbose_name_plural = _("staff matches")
        constraints = [
            models.UniqueConstraint(
                fields=["match_list", "account"], name="staffmatch_one_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_username}: {self.get_decision_display()}"

    @property
    def skip_reason_text(self) -> str:
        """Why the row was skipped, in the active language."""
        if not self.skip_reason:
            return ""
        label = str(self.SkipReason(self.skip_reason).label)
        return label % {"username": self.account_username, "school": self.from_school.name}
