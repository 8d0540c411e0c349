"""Staff of a brand-new school: service-desk requests and their written authorisation."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent
from schools.models import School
from transfers.models.transfer_requests import _new_nonce


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
    # The language of the page the note was written on, for its lang attribute where it is read.
    note_language = models.CharField(max_length=2, blank=True, default="", db_default="")
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
        db_table = "transfers_servicedeskrequest"  # the table it had in transfers: no data moved
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
        return f"{self.previous_username} → {self.requester_username}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ServiceDeskEvent(TimelineEvent):
    """One step in a service-desk request's life, shown to the requester as its timeline."""

    class Action(models.TextChoices):
        RAISED = "raised", _("You sent the request to the service desk")
        RAISED_BY_DESK = "raised_by_desk", _("The service desk raised the request for you")
        AUTHORISATION_ASKED = (
            "authorisation_asked",
            _("The service desk asked your previous organisation for written authorisation"),
        )
        AUTHORISED = "authorised", _("Authorised in writing by %(note)s")
        DECLINED = "declined", _("Declined in writing by %(note)s")
        COMPLETED = "completed", _("Account moved by the service desk")
        CANCELLED = "cancelled", _("You cancelled the request")
        CANCELLED_BY_DESK = "cancelled_by_desk", _("The service desk cancelled the request")

    subject_field = "request"
    request = models.ForeignKey(ServiceDeskRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("what happened"), max_length=40, choices=Action.choices)

    class Meta(TimelineEvent.Meta):
        db_table = "transfers_servicedeskevent"
        verbose_name = _("service-desk event")
        verbose_name_plural = _("service-desk events")
