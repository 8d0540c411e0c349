"""Emails of provisioning about learners between schools and held runs, written to the outbox in
the caller's transaction: each school's digital champions in their language, the Hwb team in
English.

No email names a learner or tells a school anything of the other school's learner: the
Provisioning page (behind User management's second sign-in) says which learners they are.
"""

from collections import Counter

from django.conf import settings
from django.urls import reverse

from accounts.emails import email_enqueue
from accounts.models import SchoolRole, User
from accounts.selectors import interface_language
from schools.models import School

from .models import HeldLearnerMove, ProvisioningRun


def champions_of(school_ids) -> list[User]:
    """The active digital champions of these schools (each with ``school`` loaded)."""
    return list(
        User.objects.filter(
            school_roles__school_id__in=school_ids,
            school_roles__role=SchoolRole.Role.DIGITAL_CHAMPION,
            is_active=True,
            school_id__in=school_ids,
        )
        .select_related("school")
        .distinct()
    )


def _page_url() -> str:
    return settings.HWB_PORTAL_URL + reverse("provisioning:champion_runs")


def held_moves_tell(holds: list[HeldLearnerMove]) -> None:
    """Both schools' champions, and the Hwb team, hear of learners' moves newly held."""
    joining = Counter(hold.to_school_id for hold in holds)
    leaving = Counter(hold.from_school_id for hold in holds if hold.from_school_id)
    for champion in champions_of({*joining, *leaving}):
        email_enqueue(
            to=champion.email,
            template="learner_move_held",
            context={
                "school": champion.school,
                "joining": joining.get(champion.school_id, 0),
                "leaving": leaving.get(champion.school_id, 0),
                "page_url": _page_url(),
            },
            language=interface_language(champion),  # not known: both languages, Welsh first
        )
    pairs = Counter((hold.from_school_id, hold.to_school_id) for hold in holds)
    schools = School.objects.in_bulk({school for pair in pairs for school in pair if school})
    admin_url = settings.HWB_PORTAL_URL + reverse("admin:provisioning_heldlearnermove_changelist")
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template="learner_move_held_team",
        context={
            "count": len(holds),
            "pairs": [
                (schools.get(from_school), schools[to_school], count)
                for (from_school, to_school), count in sorted(pairs.items(), key=str)
            ],
            "admin_url": admin_url + "?status__exact=open",
        },
        language="en",
    )


def held_move_decided_tell(hold: HeldLearnerMove) -> None:
    """Both schools' champions hear what the Hwb team decided about a held move."""
    for champion in champions_of({hold.to_school_id, hold.from_school_id} - {None}):
        email_enqueue(
            to=champion.email,
            template="learner_move_decided",
            context={
                "school": champion.school,
                "moved": hold.status == HeldLearnerMove.Status.MOVED,
                "joining": champion.school_id == hold.to_school_id,
                "page_url": _page_url(),
            },
            language=interface_language(champion),  # not known: both languages, Welsh first
        )


def run_held_tell(run: ProvisioningRun, reason: str) -> None:
    """The school's champions, and the Hwb team (with the admin's link), hear of a held run."""
    context = {"school": run.school, "run": run, "reason": reason, "admin_url": ""}
    for champion in champions_of([run.school_id]):
        email_enqueue(
            to=champion.email,
            template="provisioning_run_held",
            context=context,
            language=interface_language(champion),  # not known: both languages, Welsh first
        )
    admin_url = settings.HWB_PORTAL_URL + reverse(
        "admin:provisioning_provisioningrun_change", args=[run.pk]
    )
    email_enqueue(
        to=settings.HWB_TEAM_EMAIL,
        template="provisioning_run_held",
        context={**context, "admin_url": admin_url},
        language="en",
    )


def roll_conflicts_tell(school: School, conflicts: dict[int, int]) -> None:
    """Both schools' champions hear of learners on roll at both: nobody guesses."""
    if not conflicts:
        return
    schools = School.objects.in_bulk([school.pk, *conflicts])
    champions = champions_of([school.pk, *conflicts])
    for other_id, count in conflicts.items():
        for champion in champions:
            if champion.school_id not in {school.pk, other_id}:
                continue
            other = schools[other_id] if champion.school_id == school.pk else school
            email_enqueue(
                to=champion.email,
                template="learner_roll_conflict",
                context={
                    "school": champion.school,
                    "other_school": other,
                    "count": count,
                    "page_url": _page_url(),
                },
                language=interface_language(champion),  # not known: both languages, Welsh first
            )
