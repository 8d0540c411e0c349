"""Local authorities and schools: the organisations every account belongs to."""

from django.db import models
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
    primary_passwords_kept = models.BooleanField(
        _("primary learners keep their one-time passwords"),
        default=False,
        db_default=False,
        help_text=_(
            "Learners in nursery, reception and years 1 to 6 need not change a password a "
            "digital champion issues in bulk at their first sign-in."
        ),
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

    @property
    def name_lang(self) -> str:
        """The language ``name`` is in, for its ``lang`` attribute (WCAG 3.1.2): an English
        name on a Welsh page is marked as English."""
        return "cy" if get_language() == "cy" and self.name_cy else "en"
