"""Accounts, their per-school roles, and the audit log of every change the services make.

It is long because the account is the centre of the portal: its lifecycle fields (kind, school,
deactivation, deletion, the school's own accounts with their expiry, the search name the database
keeps), and the small records that hang off it (roles, retired usernames and aliases, moves,
claims, the email outbox, username counters) are read together by every app; splitting them
would scatter one table's story over several modules.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.db import Translate
from schools.models import LocalAuthority, School

# A school's own (non-MIS) account closing within this many weeks is in the champion's banner.
EXPIRING_WEEKS = 8
# Accented letters a search folds to their plain ones ("Llŷr" is found by "llyr"): Welsh
# diacritics and the commonest others, capitals too (SQLite's lower() is ASCII only).
SEARCH_FOLDS = (
    "àáâäãèéêëẽȩìíîïĩòóôöõùúûüũẁẃŵẅỳýŷÿỹćĉçǹńñņÀÁÂÄÃÈÉÊËẼȨÌÍÎÏĨÒÓÔÖÕÙÚÛÜŨẀẂŴẄỲÝŶŸỸĆĈÇǸŃÑŅ",
    "aaaaaeeeeeeiiiiiooooouuuuuwwwwyyyyycccnnnnaaaaaeeeeeeiiiiiooooouuuuuwwwwyyyyycccnnnn",
)


def _search_folded(expression):
    return Translate(expression, models.Value(SEARCH_FOLDS[0]), models.Value(SEARCH_FOLDS[1]))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username=username.strip().lower())

    def create_user(self, username, password=None, **fields):
        user = self.model(username=username.lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **fields):
        fields.setdefault("kind", User.Kind.HWB_TEAM)
        if fields["kind"] != User.Kind.HWB_TEAM:
            raise ValueError("Only Hwb team accounts may have admin rights.")
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("email", f"{username.lower()}@{settings.HWB_EMAIL_DOMAIN}")
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A Hwb account. Learners are keyed on a keyed hash of their UPN, never the UPN itself."""

    class Kind(models.TextChoices):
        LEARNER = "learner", _("Learner")
        STAFF = "staff", _("Staff")
        GOVERNOR = "governor", _("Governor")
        ITE_STUDENT = "ite_student", _("ITE student")
        LA_OFFICER = "la_officer", _("Local-authority officer")
        HWB_TEAM = "hwb_team", _("Hwb team")

    class DeactivationReason(models.TextChoices):
        LEFT = "left", _("Left the school (MIS)")
        REPLACED = "replaced", _("Replaced by a transferred account")
        HWB_TEAM = "hwb_team", _("Deactivated by the Hwb team")
        EXPIRED = "expired", _("Reached its expiry date")
        UNUSED = "unused", _("Not used for 90 days")
        CLOSED = "closed", _("Closed by a digital champion")

    class NonMisPurpose(models.TextChoices):
        """Who a school's own (non-MIS) account is for; never a learner."""

        GOVERNOR = "governor", _("Governor")
        SUPPLY = "supply", _("Supply or temporary staff")
        LA_STAFF = "la_staff", _("Local-authority or consortium staff")
        VISITOR = "visitor", _("Visitor, such as an inspector")
        SERVICE = "service", _("A service, such as a printer's scan to email")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        WELSH = "cy", _("Welsh")

    username = models.CharField(_("Hwb username"), max_length=64, unique=True)
    # The username without its clash number ("jonesa" for "jonesa3"): finding the smallest free
    # number is then one exact index look-up, for one account or for a whole school at once.
    username_base = models.CharField(max_length=64, editable=False, default="")
    email = models.EmailField(_("email address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    # The name someone goes by, if not their first name ("Bethan" for "Elizabeth"): greetings
    # use it; the username and the register keep the legal first name.
    preferred_first_name = models.CharField(
        _("preferred first name"), max_length=100, blank=True, default="", db_default=""
    )
    # The champion's search reads this: names and username, lower case, accents folded; kept
    # by the database itself, so bulk writes (provisioning) keep it right too.
    search_name = models.GeneratedField(
        expression=_search_folded(
            Lower(
                Concat(
                    "first_name",
                    models.Value(" "),
                    "last_name",
                    models.Value(" "),
                    "username",
                    output_field=models.CharField(),
                )
            )
        ),
        output_field=models.CharField(max_length=300),
        db_persist=True,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    local_authority = models.ForeignKey(
        LocalAuthority,
        verbose_name=_("local authority"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        help_text=_(
            "For local-authority officers: the authority they act for. For an account an "
            "authority made for its own staff: that authority."
        ),
    )
    manages_authority_accounts = models.BooleanField(
        _("Hwb administrator for their authority"),
        default=False,
        db_default=False,
        help_text=_(
            "For local-authority officers: creates and manages the authority's own staff "
            "accounts in User management (set by the Hwb team)."
        ),
    )
    # NULL, not "", for everyone but learners: the unique constraint below ignores NULLs.
    upn_hash = models.CharField(  # noqa: DJ001
        _("UPN (keyed hash)"), max_length=64, null=True, blank=True, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("For the Hwb team only: may sign in to the Django admin."),
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # An account the school made in Hwb (not from its MIS), for whom, and until when.
    non_mis_purpose = models.CharField(
        _("made by the school for"),
        max_length=20,
        choices=NonMisPurpose.choices,
        blank=True,
        default="",
        db_default="",  # bulk inserts in SQL (the benches) may leave it out
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # A champion chose "Close at expiry": the expiry banner no longer asks about it.
    closes_at_expiry = models.BooleanField(_("closes at expiry"), default=False, db_default=False)
    preferred_language = models.CharField(
        _("interface language"), max_length=2, choices=Language.choices, blank=True
    )
    date_joined = models.DateTimeField(_("created"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivation_reason = models.CharField(
        _("why deactivated"),
        max_length=20,
        choices=DeactivationReason.choices,
        blank=True,
    )
    deletion_due_at = models.DateTimeField(_("due for deletion at"), null=True, blank=True)
    # Part of every session's proof of identity: raising it signs the account out everywhere.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            # Usernames are stored lower case, so the plain unique index serves every look-up
            # (sign-in compares case-insensitively by lower-casing what was typed).
            models.CheckConstraint(
                condition=models.Q(username=Lower("username")), name="user_username_lower_case"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="learner") | models.Q(upn_hash__isnull=True),
                name="user_only_learners_have_upn",
            ),
            # Admin rights only for the Hwb team: a school's account with them could open the
            # admin, and through it every school's accounts.
            models.CheckConstraint(
                condition=models.Q(kind="hwb_team") | models.Q(is_staff=False, is_superuser=False),
                name="user_admin_rights_hwb_team_only",
                violation_error_message=_("Only Hwb team accounts may have admin rights."),
            ),
            # One account per UPN across Wales. A plain unique index: these columns are only
            # ever compared whole, so PostgreSQL's extra pattern (LIKE) indexes would only slow
            # every new account down.
            models.UniqueConstraint(fields=["upn_hash"], name="user_upn_hash_unique"),
        ]
        indexes = [
            models.Index(fields=["school", "kind", "last_name", "first_name"]),
            models.Index(fields=["username_base"], name="user_username_base"),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self):
        super().clean()
        if (self.is_staff or self.is_superuser) and self.kind != self.Kind.HWB_TEAM:
            raise ValidationError(
                {
                    "is_staff" if self.is_staff else "is_superuser": _(
                        "Only Hwb team accounts may have admin rights, not the accounts of "
                        "schools or local-authority officers."
                    )
                },
                code="admin_rights_hwb_team_only",
            )

    def _get_session_auth_hash(self, secret=None):
        """Django's session hash, which also changes when ``session_generation`` does."""
        key_salt = "hwb.accounts.User.session_auth_hash"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.preferred_first_name or self.first_name

    @property
    def is_staff_member(self) -> bool:
        """School workforce (staff, governor, ITE student) as opposed to learners and officers."""
        return self.kind in {self.Kind.STAFF, self.Kind.GOVERNOR, self.Kind.ITE_STUDENT}


class SchoolRole(models.Model):
    class Role(models.TextChoices):
        HEADTEACHER = "headteacher", _("Headteacher")
        DIGITAL_CHAMPION = "digital_champion", _("Digital champion")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="school_roles")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("school role")
        verbose_name_plural = _("school roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school", "role"], name="schoolrole_unique_per_user"
            ),
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(role="headteacher"),
                name="schoolrole_one_headteacher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.school.dfes_number}"


class RetiredUsername(models.Model):
    """Usernames of deleted accounts: Hwb never gives a username to a second person."""

    username = models.CharField(max_length=64, unique=True)
    username_base = models.CharField(max_length=64, default="")
    retired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["username_base"], name="retiredusername_base")]
        verbose_name = _("retired username")
        verbose_name_plural = _("retired usernames")

    def __str__(self) -> str:
        return self.username


class UsernameAlias(models.Model):
    """An account's former username after a change of name: it still signs in (and, in Hwb's
    mail, still receives) until ``until``, and is never given to anyone else."""

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="aliases")
    username = models.CharField(_("former username"), max_length=64, unique=True)
    until = models.DateTimeField(_("works until"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("former username")
        verbose_name_plural = _("former usernames")

    def __str__(self) -> str:
        return f"{self.username} → {self.account}"


class AuditEntry(models.Model):
    """Who did what, to what, at which school, from where and when. Written only by services."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the trail survives the actor's and the target's deletion.
    actor_username = models.CharField(_("actor"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    school = models.ForeignKey(
        School, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}"


class AccountMove(models.Model):
    """One account moving from one school to another, by whichever path moved it."""

    class Reason(models.TextChoices):
        LEARNER_MIS = "learner_mis", _("Learner moved by the MIS")
        TRANSFER = "transfer", _("Account Transfer")
        MERGER = "merger", _("School merger or closure")
        SERVICE_DESK = "service_desk", _("Service-desk request")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    account = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="moves", verbose_name=_("account")
    )
    account_username = models.CharField(_("username"), max_length=64)
    from_school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("from")
    )
    to_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    reason = models.CharField(_("why"), max_length=20, choices=Reason.choices)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(_("moved by"), max_length=64, blank=True)
    # For example the provisioning runs of both schools, or the transfer request.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account move")
        verbose_name_plural = _("account moves")

    def __str__(self) -> str:
        return f"{self.account_username}: {self.get_reason_display()}"


class AccountMoveClaim(models.Model):
    """An open request, by whichever route (Account Transfer, the service desk), to move
    ``account`` in place of ``requester``'s new one. While it is open neither account can be
    claimed again by any route: the database's partial unique indexes say so, whatever the
    apps above check first."""

    class Route(models.TextChoices):
        TRANSFER = "transfer", _("Account Transfer")
        SERVICE_DESK = "service_desk", _("Service-desk request")

    account = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("account to move")
    )
    requester = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("new account")
    )
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("account move claim")
        verbose_name_plural = _("account move claims")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(closed_at__isnull=True),
                name="accountmoveclaim_one_open_per_account",
            ),
            models.UniqueConstraint(
                fields=["requester"],
                condition=models.Q(closed_at__isnull=True),
                name="accountmoveclaim_one_open_per_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_route_display()}: {self.account} ← {self.requester}"


class OutboundEmail(models.Model):
    """An email written in the same transaction as the change it reports, sent by a worker.

    The row is the truth: a crash before sending leaves it unsent for the next attempt, and
    ``sent_at`` (set under a row lock) stops a second delivery.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    template = models.CharField(max_length=100)
    language = models.CharField(max_length=5)  # "cy", "en", or "cy,en" for both
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outboundemail_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class UsernameCounter(models.Model):
    """The highest clash number given for a username base ("jonesa" -> 57).

    Usernames are never reused, so numbers only go up and the smallest free number is one
    above the highest given: one indexed row per base, however many Joneses Wales has.
    """

    username_base = models.CharField(max_length=64, primary_key=True)
    last_number = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("username counter")
        verbose_name_plural = _("username counters")

    def __str__(self) -> str:
        return f"{self.username_base}: {self.last_number}"
