"""The rules of Account Transfer, each with its message: which accounts may move, whether the
requester is the previous account's holder, what the MIS records and runs of both schools must
say, who decides. Checked at submit and again at proceed, and reused by the service desk and the
merger move."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountMoveClaim, SchoolRole, User
from accounts.selectors import account_move_claim_route
from core.ratelimit import rate_limit_hit
from provisioning import matching
from provisioning.selectors import last_successful_run, staff_record_of
from provisioning.staff_moves import staff_move_refusal
from schools.models import School

from .models import TransferRequest


class TransferError(Exception):
    """A transfer rule said no; the message says what is wrong and who can put it right."""


class SamePersonNotConfirmed(TransferError):
    """A doubtful match approved without the decider ticking that both are the same person."""


# --- The rules ------------------------------------------------------------------------------------


def transfer_kind_check(kind: str) -> None:
    """TransferError unless ``kind`` is a school staff account (never governors, ITE students)."""
    refusal = staff_move_refusal(kind)
    if refusal is not None:
        raise TransferError(refusal)


def transfer_lookup_allowed(*, requester: User) -> bool:
    """A member of staff may try this many previous usernames an hour (no enumerating)."""
    return rate_limit_hit(
        scope="transfer-lookups",
        key=requester.pk,
        limit=settings.HWB_TRANSFER_LOOKUPS_PER_HOUR,
        period_seconds=3600,
    )


def transfer_identity(
    *, requester: User, previous_school: School, previous_account: User
) -> matching.Judgement:
    """Whether the requester is the previous account's holder, judged by the merger matcher
    (one code path): the previous account's last MIS staff record at the previous school against
    the requester's MIS staff record at the new school (names with their Welsh and short forms,
    date of birth, work email). A side without a record is judged by its account's names."""
    old_record = staff_record_of(school=previous_school, account=previous_account)
    new_record = (
        staff_record_of(school=requester.school, account=requester) if requester.school_id else None
    )
    return matching.person_judge(
        matching.account_person(previous_account, old_record),
        matching.record_person(new_record) if new_record else matching.account_person(requester),
    )


def transfer_previous_account(
    *,
    requester: User,
    previous_school: School | None,
    previous_username: str,
    holder_check: bool = True,
) -> User:
    """The previous account the requester names, or TransferError.

    One message for "no such account here" and for an account whose holder the matcher says is
    someone else, so the form tells nobody which usernames exist at which school, nor what kind
    of account one is: that (a governor's, an ITE student's, closed) is explained only to whoever
    could be its holder. The requester's own situation is always explained. ``holder_check``
    is off only for the Hwb team acting on someone's behalf (they see every account anyway).
    """
    if requester.school_id is None:
        raise TransferError(_("Your account does not belong to a school."))
    transfer_kind_check(requester.kind)
    if previous_school is None:
        raise TransferError(
            _(
                "No school has this DfES number. Check it in the Address List of Schools on "
                "the Welsh Government website."
            )
        )
    if previous_school.pk == requester.school_id:
        raise TransferError(
            _(
                "This is your new school's DfES number. Enter the DfES number of the school "
                "you worked at before."
            )
        )
    username = previous_username.strip().lower()[:64]
    account = User.objects.filter(username=username, school=previous_school).first()
    not_found = TransferError(
        _(
            "There is no staff account with this username at %(school)s that can be "
            "transferred. Check the username with a digital champion at that school; if it "
            "is right and the account is yours, the Hwb service desk (hwb@gov.wales) can help."
        )
        % {"school": previous_school.name}
    )
    if account is None or account.pk == requester.pk or account.kind == User.Kind.LEARNER:
        raise not_found
    if holder_check and (
        transfer_identity(
            requester=requester, previous_school=previous_school, previous_account=account
        ).confidence
        == matching.NONE
    ):
        raise not_found
    transfer_kind_check(account.kind)
    if not account.is_active and (
        account.deactivation_reason != User.DeactivationReason.LEFT
        or account.deletion_due_at is None
        or account.deletion_due_at <= timezone.now()
    ):
        raise TransferError(
            _(
                "The account %(username)s is closed and can no longer be transferred. Ask the "
                "Hwb service desk if you need something from it."
            )
            % {"username": account.username}
        )
    return account


def transfer_same_person_check(
    *, judgement: matching.Judgement, confirmed: bool, previous_username: str
) -> None:
    """Whether an approval may stand: a doubtful match needs the decider's tick that both are
    the same person; no match (the MIS changed since the request) is never approved."""
    if judgement.confidence == matching.NONE:
        raise TransferError(
            _(
                "The two schools' MIS records no longer show that the person asking is the "
                "holder of the account %(username)s, so it cannot move. Ask the Hwb service "
                "desk (hwb@gov.wales) to help."
            )
            % {"username": previous_username}
        )
    if judgement.confidence == matching.DOUBTFUL and not confirmed:
        raise SamePersonNotConfirmed(
            _(
                "Tick the box to confirm that the person asking is the holder of the account "
                "%(username)s, or reject the request."
            )
            % {"username": previous_username}
        )


def transfer_rules_check(
    *, requester: User, previous_school: School, previous_account: User, new_request: bool
) -> None:
    """Every rule that the MIS records and runs of both schools decide (submit and proceed)."""
    if last_successful_run(previous_school) is None:
        raise TransferError(
            _(
                "%(school)s's Provisioning Client has not run successfully yet. Ask the school "
                "to check its Provisioning Client, then try again after its next run."
            )
            % {"school": previous_school.name}
        )
    new_school = requester.school
    if last_successful_run(new_school) is None:
        raise TransferError(
            _(
                "Your new school's Provisioning Client has not run successfully yet. Ask your "
                "school to check its Provisioning Client, then try again after its next run."
            )
        )
    old_record = staff_record_of(school=previous_school, account=previous_account)
    if old_record is None or old_record.leaving_date is None:
        raise TransferError(
            _(
                "%(school)s's MIS has no leaving date for you yet. Ask its SIMS or Teacher "
                "Centre administrator to add one; Hwb sees it after the school's next "
                "successful provisioning run, usually the next day."
            )
            % {"school": previous_school.name}
        )
    new_record = staff_record_of(school=new_school, account=requester)
    if (
        new_record is None
        or new_record.leaving_date is not None
        or new_record.start_date is None
        or not new_record.staff_code
    ):
        raise TransferError(
            _(
                "Your new school's MIS has no staff record for you with a start date and a "
                "staff code. Ask its SIMS or Teacher Centre administrator to add them; Hwb "
                "sees them after the school's next successful provisioning run."
            )
        )
    if new_request:
        open_requests = TransferRequest.objects.filter(status__in=TransferRequest.OPEN)
        if open_requests.filter(requester=requester).exists():
            raise TransferError(
                _("You already have an open transfer request. Open it from your dashboard.")
            )
        if open_requests.filter(previous_account=previous_account).exists():
            raise TransferError(
                _("There is already an open transfer request for the account %(username)s.")
                % {"username": previous_account.username}
            )
        route = account_move_claim_route(
            accounts=[requester, previous_account], exclude_route=AccountMoveClaim.Route.TRANSFER
        )
        if route is not None:
            raise TransferError(claimed_refusal(route, previous_account))


def claimed_refusal(route: str | None, previous_account: User) -> str:
    """What to tell someone whose accounts another route's open request already holds."""
    if route == AccountMoveClaim.Route.TRANSFER:
        return _("There is already an open transfer request for the account %(username)s.") % {
            "username": previous_account.username
        }
    return _(
        "The Hwb service desk is already handling a request to keep the account "
        "%(username)s. Follow it from Your Details, or cancel it there first."
    ) % {"username": previous_account.username}


def transfer_approvers(*, previous_school: School, previous_account: User) -> tuple[str, list]:
    """Who decides: the previous school's headteacher, or (when the headteacher's own account
    is asked for, or the school has none) the local authority's officers."""
    headteacher = (
        SchoolRole.objects.filter(
            school=previous_school, role=SchoolRole.Role.HEADTEACHER, user__school=previous_school
        )
        .select_related("user")
        .first()
    )
    if headteacher and headteacher.user.is_active and headteacher.user_id != previous_account.pk:
        return TransferRequest.Approver.HEADTEACHER, [headteacher.user]
    officers = list(
        User.objects.filter(
            kind=User.Kind.LA_OFFICER,
            local_authority_id=previous_school.local_authority_id,
            is_active=True,
        )
    )
    return TransferRequest.Approver.LOCAL_AUTHORITY, officers


def transfer_default_message(*, requester: User, previous_school: School, headteacher) -> str:
    greeting = headteacher.get_full_name() if headteacher else _("Headteacher")
    return _(
        "Dear %(name)s,\n\nI have moved from %(previous)s to %(new)s. Please approve the "
        "transfer of my Hwb account to my new school, so that I can keep my work.\n\n"
        "Thank you,\n%(me)s"
    ) % {
        "name": greeting,
        "previous": previous_school.name,
        "new": requester.school.name,
        "me": requester.get_full_name(),
    }
