"""Account Transfer requests, their decisions and their timelines."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent
from provisioning.matching import REASON_LABELS
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

    class Match(models.TextChoices):
        """How sure the staff matcher is that the requester holds the previous account (its
        codes: ``provisioning.matching.SURE`` and ``DOUBTFUL``; no match is never a request)."""

        SURE = "sure", _("Sure: both schools' MIS records agree")
        DOUBTFUL = "doubtful", _("Doubtful: whoever decides checks both people")

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
    previous_holder_name = models.CharField(
        _("holder of the previous account"), max_length=200, blank=True
    )
    # The requester's new-school MIS record judged against the previous account's: at submit,
    # then again at the decision (the MIS may have changed meanwhile).
    match_confidence = models.CharField(
        _("same person?"), max_length=10, choices=Match.choices, blank=True
    )
    match_reasons = models.JSONField(_("why"), default=list, blank=True)
    same_person_confirmed = models.BooleanField(
        _("whoever decided confirmed they are the same person"), default=False
    )
    message = models.TextField(_("message to the headteacher"), max_length=2000)
    # The language of the page the words were written on ("cy", "en"): how they are marked
    # (lang) where others read them, so a screen reader speaks them in their own language.
    message_language = models.CharField(max_length=2, blank=True, default="", db_default="")
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
    # Why the decider rejected it (optional), shown to the member of staff and in the timeline.
    rejection_reason = models.CharField(_("reason for rejecting"), max_length=500, blank=True)
    rejection_reason_language = models.CharField(
        max_length=2, blank=True, default="", db_default=""
    )
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
        return f"{self.previous_username} → {self.requester_username}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def holder_name(self) -> str:
        """The previous account's holder, as the account named them when the request was made."""
        if self.previous_holder_name:
            return self.previous_holder_name
        account = self.previous_account
        return (account.get_full_name() if account else "") or self.previous_username

    @property
    def is_doubtful(self) -> bool:
        return self.match_confidence == self.Match.DOUBTFUL

    @property
    def match_reason_labels(self) -> list[str]:
        """Why the matcher judged as it did, in the reader's language."""
        return [str(REASON_LABELS.get(code, code)) for code in self.match_reasons or []]


class TransferEvent(TimelineEvent):
    """One step in a request's life, shown to the member of staff as its timeline."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("You sent the request")
        APPROVED = "approved", _("Approved by %(name)s")
        REJECTED = "rejected", _("Rejected by %(name)s")
        COMPLETED = "completed", _("Transfer completed")
        CANCELLED = "cancelled", _("You cancelled the request")
        REMINDED = "reminded", _("A reminder was sent, as the request had not been decided")
        EXPIRED = "expired", _("The request expired without a decision")

    subject_field = "request"
    NOTE_APPENDED = ("rejected",)
    request = models.ForeignKey(TransferRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("what happened"), max_length=40, choices=Action.choices)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("transfer event")
        verbose_name_plural = _("transfer events")

    def text_values(self) -> dict[str, str]:
        return {**super().text_values(), "name": self.request.decided_by_name}
