"""Staff moves by request: Account Transfer requests, their decisions and their timelines."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import School


def _new_nonce() -> str:
    return secrets.token_urlsafe(16)


class TransferRequest(models.Model):
    """A member of staff asking to keep their previous school's account at their new school."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Transfer completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    OPEN = (Status.SUBMITTED, Status.APPROVED)

    class Approver(models.TextChoices):
        HEADTEACHER = "headteacher", _("The previous school's headteacher")
        LOCAL_AUTHORITY = "local_authority", _("The local authority")

    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="transfer_requests",
        verbose_name=_("new account"),
    )
    requester_username = models.CharField(_("new username"), max_length=64)
    new_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("new school")
    )
    previous_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("previous school")
    )
    previous_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="transfer_requests_from",
        verbose_name=_("previous account"),
    )
    previous_username = models.CharField(_("previous username"), max_length=64)
    message = models.TextField(_("message to the headteacher"), max_length=2000)
    approver = models.CharField(_("decided by"), max_length=20, choices=Approver.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_by_name = models.CharField(_("decided by"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Part of every decision link: a link is useless once the request is decided, and for any
    # other request.
    link_nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account transfer request")
        verbose_name_plural = _("account transfer requests")
        constraints = [
            # One open request per account, on either side of it.
            models.UniqueConstraint(
                fields=["requester"],
                condition=models.Q(status__in=["submitted", "approved"]),
                name="transfer_one_open_per_requester",
            ),
            models.UniqueConstraint(
                fields=["previous_account"],
                condition=models.Q(status__in=["submitted", "approved"]),
                name="transfer_one_open_per_previous_account",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.previous_username} → {self.requester_username}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class TransferEvent(models.Model):
    """One step in a request's life, shown to the member of staff as its timeline."""

    request = models.ForeignKey(TransferRequest, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20)
    actor_username = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("transfer event")
        verbose_name_plural = _("transfer events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"


# --- Mergers and closures: matching closing schools' staff to the new school's MIS --------


class StaffMatchList(models.Model):
    """The proposed matches for one merger or closure notice, reviewed by the local authority,
    approved by the Hwb team, then carried out by a batch job."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for the local authority's review")
        SUBMITTED = "submitted", _("Waiting for the Hwb team's approval")
        APPROVED = "approved", _("Approved: moving accounts")
        COMPLETED = "completed", _("Accounts moved")

    notice = models.OneToOneField(
        "schools.SchoolNotice",
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
    # When the Hwb team sends the list back to the local authority, why.
    hwb_note = models.TextField(_("note from the Hwb team"), max_length=2000, blank=True)
    started_at = models.DateTimeField(_("moving started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("moving finished at"), null=True, blank=True)
    to_move = models.PositiveIntegerField(_("accounts to move"), default=0)
    moved = models.PositiveIntegerField(_("accounts moved"), default=0)
    skipped = models.PositiveIntegerField(_("accounts skipped"), default=0)
    job_runs = models.PositiveSmallIntegerField(_("times the move job ran"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("staff match list")
        verbose_name_plural = _("staff match lists")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.notice})"


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
    skip_reason = models.CharField(_("why skipped"), max_length=300, blank=True)
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)

    class Meta:
        ordering = ["from_school_id", "account_username"]
        verbose_name = _("staff match")
        verbose_name_plural = _("staff matches")
        constraints = [
            models.UniqueConstraint(
                fields=["match_list", "account"], name="staffmatch_one_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_username} → {self.record_id or self.proposed_record_id or '-'}"


# --- Staff of a brand-new school: service-desk requests ------------------------------------------


def authorisation_upload_to(instance, filename: str) -> str:
    return f"service-desk/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


class ServiceDeskRequest(models.Model):
    """A member of staff of a new school asking the service desk to keep their existing account;
    the previous organisation authorises it in writing before it is processed."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received by the service desk")
        AWAITING = "awaiting", _("Waiting for written authorisation")
        AUTHORISED = "authorised", _("Authorised by the previous organisation")
        DECLINED = "declined", _("Declined by the previous organisation")
        COMPLETED = "completed", _("Account moved")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.RECEIVED, Status.AWAITING, Status.AUTHORISED)

    class Method(models.TextChoices):
        LINK = "link", _("Written on the authorisation page")
        DOCUMENT = "document", _("Document received by the service desk")

    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="service_desk_requests",
        verbose_name=_("new account"),
    )
    requester_username = models.CharField(_("new username"), max_length=64)
    new_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("new school")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_by_username = models.CharField(_("raised by"), max_length=64, blank=True)
    previous_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous organisation"),
    )
    previous_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("existing account"),
    )
    previous_username = models.CharField(_("existing username"), max_length=64)
    note = models.TextField(_("note to the service desk"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    authoriser_email = models.EmailField(_("authorisation asked of"), max_length=254, blank=True)
    authorisation_requested_at = models.DateTimeField(
        _("authorisation asked for at"), null=True, blank=True
    )
    authorisation_method = models.CharField(
        _("authorised how"), max_length=10, choices=Method.choices, blank=True
    )
    authoriser_name = models.CharField(_("authorised by (name)"), max_length=200, blank=True)
    authoriser_role = models.CharField(_("their role"), max_length=200, blank=True)
    authoriser_statement = models.TextField(_("their statement"), max_length=4000, blank=True)
    authorised_at = models.DateTimeField(_("authorised or declined at"), null=True, blank=True)
    authorisation_document = models.FileField(
        _("authorisation document"), upload_to=authorisation_upload_to, blank=True
    )
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processed by"),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Part of the authorisation link: spent once the previous organisation has answered.
    link_nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service-desk request")
        verbose_name_plural = _("service-desk requests")
        constraints = [
            models.UniqueConstraint(
                fields=["requester"],
                condition=models.Q(status__in=["received", "awaiting", "authorised"]),
                name="servicedesk_one_open_per_requester",
            ),
            models.UniqueConstraint(
                fields=["previous_account"],
                condition=models.Q(status__in=["received", "awaiting", "authorised"]),
                name="servicedesk_one_open_per_previous_account",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.previous_username} → {self.requester_username}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ServiceDeskEvent(models.Model):
    """One step in a service-desk request's life, shown to the requester as its timeline."""

    request = models.ForeignKey(ServiceDeskRequest, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=30)
    actor_username = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("service-desk event")
        verbose_name_plural = _("service-desk events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"
