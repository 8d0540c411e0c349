"""Contract 1.1's ``previous_upn``: a learner's temporary UPN replaced by the permanent one.

The account that held the temporary UPN becomes the permanent UPN's account (same username,
password and work) instead of a second account being made. Before that, the record must prove
it is the same learner, as a move between schools must (``identity.learner_same_person``); a
replacement that cannot be made safely rejects the record, and nothing is linked.

``temporary_upns_check`` judges the snapshot's replacements before anything is applied (a dry
run sees the same verdicts); the application then re-keys the accounts it accepted.
"""

import hmac
from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from schools.models import School

from . import policy
from .identity import LearnerIdentity, learner_same_person
from .models import MisLearner
from .snapshots import CheckedRecords, _keep, _problem


@dataclass(frozen=True)
class Replacement:
    account_id: int
    previous_hash: str


def _hash(upn: str) -> str:
    return hmac.digest(settings.HWB_UPN_HASH_KEY.encode(), upn.encode(), "sha256").hex()


def temporary_upns_check(learners: CheckedRecords, *, school: School) -> dict[str, Replacement]:
    """The replacements to make, by the permanent UPN's hash. A record whose replacement is
    refused is rejected (with its error), and both of its UPNs are kept as they were."""
    if not learners.previous_upns:
        return {}
    index_of = {row[0]: i for i, row in enumerate(learners.rows)}
    wanted = {
        new: _hash(previous) for new, previous in learners.previous_upns.items() if new in index_of
    }
    accounts = {
        account.upn_hash: account
        for account in User.objects.filter(upn_hash__in=[*wanted.values(), *wanted.keys()])
    }
    records = {}  # each account's latest MIS record: who the account's learner is
    for record in MisLearner.objects.filter(account__in=list(accounts.values())).order_by(
        "account_id", "-updated_at", "-pk"
    ):
        records.setdefault(record.account_id, record)
    replacements, refused = {}, {}
    for new, previous in wanted.items():
        account = accounts.get(previous)
        if account is None:
            continue  # no account held the temporary UPN: the permanent one gets its own
        row = learners.rows[index_of[new]]
        code = _refusal(account, accounts.get(new), records.get(account.pk), row, school)
        if code:
            refused[index_of[new]] = (code, previous)
        else:
            replacements[new] = Replacement(account.pk, previous)
            position = learners.positions[index_of[new]]
            upn = learners.keys[index_of[new]]
            learners.warnings.append(
                _problem(f"learners[{position}]", upn, "previous_upn", "upn_replaced")
            )
            learners.names[f"learners[{position}]"] = f"{row[1]} {row[2]}"
    for index, (code, previous) in refused.items():
        position, upn, row = learners.positions[index], learners.keys[index], learners.rows[index]
        learners.errors.append(_problem(f"learners[{position}]", upn, "previous_upn", code))
        learners.names[f"learners[{position}]"] = f"{row[1]} {row[2]}"
        learners.rejected_keys.update({row[0], previous})
    if refused:
        _keep(learners, learners.positions, set(refused))
    return replacements


def _refusal(account, permanent_account, held_record, row, school: School) -> str:
    if permanent_account is not None and permanent_account.pk != account.pk:
        return "previous_upn_taken"
    if held_record is not None:
        held = LearnerIdentity(
            held_record.forename,
            held_record.surname,
            held_record.preferred_forename,
            held_record.date_of_birth,
        )
        incoming = LearnerIdentity(row[1], row[2], row[3] or "", row[4])
        same, _reasons = learner_same_person(held, incoming)
        if not same:
            return "previous_upn_other_person"
    if account.school_id not in (None, school.pk) and (
        MisLearner.objects.filter(
            policy.current_q(), account=account, school=account.school_id
        ).exists()
    ):
        return "previous_upn_on_roll_elsewhere"
    return ""
