"""The 12-month deletion sweep: deactivated accounts are deleted once their ``deletion_due_at``
comes (12 months after leaving, ``rules.deletion_due``), whichever path deactivated them (an MIS
leaver, an account replaced by a transfer, the Hwb team). A daily beat task runs it.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .bulk import AccountRef, audit_entry_build
from .models import AuditEntry, RetiredUsername, User

ACTOR = "retention"  # the audit trail's actor of the sweep


def accounts_delete_due(*, now: datetime | None = None) -> int:
    """Delete deactivated accounts whose 12 months are up, in batches; the audit trail stays and
    the usernames are retired (never given again).

    Each batch is its own short transaction (no long locks); safe to run twice.
    """
    now = now or timezone.now()
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                User.objects.select_for_update(skip_locked=True)
                .filter(is_active=False, deletion_due_at__lte=now)
                .order_by("pk")
                .values_list("pk", "username", "username_base", "school_id", "kind")[
                    : settings.HWB_DELETION_BATCH_SIZE
                ]
            )
            if not batch:
                return deleted
            RetiredUsername.objects.bulk_create(
                [RetiredUsername(username=u, username_base=b) for _pk, u, b, _s, _k in batch],
                ignore_conflicts=True,
            )
            AuditEntry.objects.bulk_create(
                audit_entry_build(
                    actor=None,
                    job=ACTOR,
                    action="account.deleted",
                    target=AccountRef(pk, username),
                    school=school_id,
                    details={"kind": kind, "reason": "12 months after leaving"},
                )
                for pk, username, _b, school_id, kind in batch
            )
            User.objects.filter(pk__in=[row[0] for row in batch]).delete()
            deleted += len(batch)
