"""Provisioning: each school's client credential, its snapshot runs, and the MIS records they hold.

The MIS tables keep, per school, every learner and staff member of the latest applied snapshot
(leavers included): accounts are derived from them, and learners move by comparing schools.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import School


class ClientToken(models.Model):
    """A school's Provisioning Client credential. Only a hash of the token is kept."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="client_tokens", verbose_name=_("school")
    )
    # The first characters, shown in the admin so the Hwb team can tell tokens apart.
    prefix = models.CharField(_("starts with"), max_length=12)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("client token")
        verbose_name_plural = _("client tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(revoked_at__isnull=True),
                name="clienttoken_one_live_per_school",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school.dfes_number} {self.prefix}…"


class ProvisioningRun(models.Model):
    """One snapshot received from a school's client, and what applying it did."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held for review")
        DISCARDED = "discarded", _("Discarded")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="provisioning_runs", verbose_name=_("school")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    mis = models.CharField(_("MIS"), max_length=50, blank=True)
    client_version = models.CharField(_("client version"), max_length=50, blank=True)
    extracted_at = models.DateTimeField(_("extracted at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    source = models.CharField(_("sent by"), max_length=20, default="api")
    # The snapshot as received (zlib-compressed JSON). Dropped once the run is finished:
    # it holds raw UPNs, which the portal keeps no longer than it needs them.
    snapshot = models.BinaryField(null=True, editable=False)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("record errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    accounts = models.JSONField(_("usernames"), default=dict, blank=True)
    # For people, not the API: the name on each rejected record ("learners[3]" -> "Siân Jones").
    record_names = models.JSONField(default=dict, blank=True, editable=False)
    failure_reason = models.TextField(_("why it failed or was held"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied or discarded by"),
    )
    decided_at = models.DateTimeField(_("applied or discarded at"), null=True, blank=True)
    upns_removed_at = models.DateTimeField(_("UPNs removed at"), null=True, blank=True)
    # SHA-256 of the records as received: the same snapshot again needs no work.
    snapshot_digest = models.CharField(max_length=64, blank=True, editable=False)
    # Times a worker started applying it from the queue: a run whose worker was lost (killed,
    # out of memory) is handed to another, and after two such starts the Hwb team is told.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When it was last given to the broker for a worker (the stalled-run sweep goes by it).
    handed_over_at = models.DateTimeField(_("last handed to a worker"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("provisioning run")
        verbose_name_plural = _("provisioning runs")
        indexes = [
            models.Index(fields=["school", "-received_at"]),
            models.Index(fields=["school", "status", "-finished_at"]),
            # The stalled-run sweep reads the few unfinished runs every minute.
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["queued", "running"]),
                name="provisioningrun_unfinished",
            ),
        ]

    def __str__(self) -> str:
        received = f"{self.received_at:%Y-%m-%d %H:%M:%S}"
        return f"{self.school.dfes_number} {received} {self.get_status_display()}"


class MisLearner(models.Model):
    """A learner as the school's latest applied snapshot holds them (leavers included)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="mis_learners")
    upn_hash = models.CharField(max_length=64)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mis_learner_records",
    )
    forename = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    preferred_forename = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    year_group = models.CharField(max_length=2)
    admission_date = models.DateField(null=True, blank=True)
    leaving_date = models.DateField(null=True, blank=True)
    # Contract 1.1: the registration (form) group, and the teaching groups, one per line with a
    # newline before and after each ("\n7A/Ma1\n7 Cymraeg\n"): names are printable, so a
    # newline never occurs in one, and "in class X" is one LIKE on any database.
    registration_group = models.CharField(max_length=20, blank=True, default="", db_default="")
    classes = models.TextField(blank=True, default="", db_default="")
    # Left because a snapshot no longer held them (leaving_date is then that snapshot's date).
    absent = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("MIS learner record")
        verbose_name_plural = _("MIS learner records")
        constraints = [
            models.UniqueConstraint(fields=["school", "upn_hash"], name="mislearner_unique_upn")
        ]
        indexes = [models.Index(fields=["upn_hash"])]

    def __str__(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def class_list(self) -> list[str]:
        return [name for name in self.classes.split("\n") if name]


class MisStaff(models.Model):
    """A staff record as the school's latest applied snapshot holds it (leavers included)."""

    class Role(models.TextChoices):
        TEACHING = "teaching", _("Teaching")
        SUPPORT = "support", _("Support")
        GOVERNOR = "governor", _("Governor")
        ITE_STUDENT = "ite_student", _("ITE student")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="mis_staff")
    staff_code = models.CharField(max_length=10)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mis_staff_records",
    )
    title = models.CharField(max_length=100, blank=True)
    forename = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    work_email = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices)
    is_headteacher = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    leaving_date = models.DateField(null=True, blank=True)
    # Contract 1.1: the registration group this member of staff is form tutor of.
    registration_group = models.CharField(max_length=20, blank=True, default="", db_default="")
    absent = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("MIS staff record")
        verbose_name_plural = _("MIS staff records")
        constraints = [
            models.UniqueConstraint(fields=["school", "staff_code"], name="misstaff_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.forename} {self.surname}, staff code {self.staff_code}"


class PlacementReminder(models.Model):
    """An ITE student reminded to download their work before their placement ends (once per
    placement end date the MIS gives)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="placement_reminders"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    placement_end = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("placement reminder")
        verbose_name_plural = _("placement reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "placement_end"], name="placementreminder_once_per_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.placement_end:%Y-%m-%d}"


class HeldLearnerMove(models.Model):
    """A learner's account that would have moved to another school by its UPN, held because the
    record there is not the same child as the account's own MIS record (rule 3 of ``policy.py``).

    The account stays where it is until the Hwb team moves it or keeps the two learners apart,
    or the schools' MIS records settle it (they come to agree, or the claim goes away).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the Hwb team")
        MOVED = "moved", _("Moved by the Hwb team")
        KEPT_APART = "kept_apart", _("Kept apart by the Hwb team")
        RESOLVED = "resolved", _("Settled by the schools' MIS")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="held_moves",
        verbose_name=_("account"),
    )
    from_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("account's school"),
    )
    to_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("claimed by")
    )
    # The claiming record as it was when the move was held.
    forename = models.CharField(_("forename there"), max_length=100)
    surname = models.CharField(_("surname there"), max_length=100)
    preferred_forename = models.CharField(_("preferred forename there"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth there"), null=True, blank=True)
    reasons = models.JSONField(_("why it was held"), default=list, blank=True)
    run = models.ForeignKey(
        ProvisioningRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("found by run"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("held at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("held learner move")
        verbose_name_plural = _("held learner moves")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="open"),
                name="heldlearnermove_one_open_per_account",
            )
        ]
        indexes = [
            models.Index(fields=["to_school", "status"]),
            models.Index(fields=["from_school", "status"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.account}: {self.from_school} → {self.to_school} ({self.get_status_display()})"
        )
