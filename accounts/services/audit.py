"""The audit log every change goes to, and the schools import written to it."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model

from schools.models import School
from schools.services import ImportReport, schools_import

from ..bulk import audit_entry_build
from ..models import AuditEntry, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model | None = None,
    school: School | None = None,
    ip_address: str | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Write one audit entry. Call it inside the transaction that makes the change."""
    entry = audit_entry_build(
        actor=actor,
        action=action,
        target=target,
        school=school,
        ip_address=ip_address,
        details=details,
    )
    entry.save(force_insert=True)
    return entry


@transaction.atomic
def schools_import_audited(
    *, rows: Iterable[dict[str, str]], actor: User | None, source: str = ""
) -> ImportReport:
    """Load the address list of schools, writing an audit entry for each school it changes.

    The import itself is schools' own service; the audit log lives here, a floor above it.
    """
    report = schools_import(rows=rows, actor=actor)
    changed = School.objects.in_bulk([change.school_id for change in report.changes])
    AuditEntry.objects.bulk_create(
        audit_entry_build(
            actor=actor,
            action="school.created" if change.created else "school.updated",
            target=changed[change.school_id],
            school=changed[change.school_id],
            details={"fields": list(change.fields), "source": source},
        )
        for change in report.changes
    )
    return report


def accounts_download_record(
    *, actor: User, school: School, count: int, filters: dict, ip_address: str | None = None
) -> AuditEntry:
    """A champion downloaded their school's account list (who, how many, with which filters)."""
    return audit_record(
        actor=actor,
        action="accounts.downloaded",
        school=school,
        ip_address=ip_address,
        details={"count": count, **filters},
    )


def credentials_download_record(
    *, actor: User, school: School | None, count: int, ip_address: str | None = None
) -> AuditEntry:
    """Someone downloaded the one-time passwords of a bulk reset as a CSV file (how many)."""
    return audit_record(
        actor=actor,
        action="credentials.downloaded",
        school=school,
        ip_address=ip_address,
        details={"count": count},
    )
