"""Writes of many accounts and audit entries at once, for the set-based paths of the floors above
(provisioning's runs, the daily jobs): their column lists come from the models, here, so a new
column of ``User`` or ``AuditEntry`` is filled as the ORM would fill it, not missed by raw SQL.

``audit_entry_build`` is the one place an audit entry is put together: ``audit_record`` saves
what it builds, bulk paths ``bulk_create`` a list of them, and ``audit_entries_insert_from``
copies one of them onto every row a query gives.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model

from schools.models import School

from .models import AuditEntry, User


class AccountRef(NamedTuple):
    """An account by its id and username: all a bulk path reads of it for the audit trail."""

    pk: int
    username: str


def audit_entry_build(
    *,
    actor: User | None,
    action: str,
    target: Model | AccountRef | None = None,
    school: School | int | None = None,
    ip_address: str | None = None,
    details: dict | None = None,
    created_at: datetime | None = None,
    job: str = "",
) -> AuditEntry:
    """One audit entry, not saved: who (``actor``, or the ``job`` that acted when nobody did),
    what, to what, at which school (a School or its id), from where, and when (now by default).
    """
    entry = AuditEntry(
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.username if actor is not None else job,
        action=action,
        ip_address=ip_address,
        details=details or {},
    )
    if created_at is not None:
        entry.created_at = created_at
    if isinstance(target, AccountRef):
        entry.target_type = User._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = target.username
    elif target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:200]
    if isinstance(school, School):
        entry.school = school
    else:
        entry.school_id = school
    return entry


def _insert_from(
    cursor,
    *,
    model: type[Model],
    instance: Model,
    source: str,
    columns: Mapping[str, str],
    params: Sequence = (),
) -> int:
    """``INSERT INTO`` the model's table one row per row of ``source`` (a FROM clause, with its
    ``params``): ``columns`` maps a field's column to an SQL expression over the source's rows
    (without parameters), and every other concrete field takes its value from ``instance``."""
    # The database fills generated columns (the search name) itself.
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key or f.generated)]
    unknown = set(columns) - {f.column for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    cast = connection.vendor == "postgresql"  # parameters typed as their columns
    names, values, constants = [], [], []
    for field in fields:
        names.append(connection.ops.quote_name(field.column))
        if field.column in columns:
            values.append(columns[field.column])
        else:
            values.append(f"CAST(%s AS {field.db_type(connection)})" if cast else "%s")
            constants.append(
                field.get_db_prep_save(getattr(instance, field.attname), connection=connection)
            )
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)})"  # noqa: S608
        f" SELECT {', '.join(values)} FROM {source}",
        [*constants, *params],
    )
    return cursor.rowcount


def audit_entries_insert_from(
    cursor,
    *,
    entry: AuditEntry,
    source: str,
    target_id: str,
    target_repr: str,
    params: Sequence = (),
    columns: Mapping[str, str] | None = None,
) -> int:
    """One audit entry per row of ``source`` (a FROM clause, with its ``params``), each a copy of
    ``entry`` (from ``audit_entry_build``) whose target is that row's account: ``target_id`` and
    ``target_repr`` are SQL expressions over the rows (the account's id and username), as are any
    other ``columns`` given (``{"school_id": "n.school_id"}``), in one statement."""
    entry.target_type = User._meta.label_lower
    text = AuditEntry._meta.get_field("target_id").db_type(connection)
    return _insert_from(
        cursor,
        model=AuditEntry,
        instance=entry,
        source=source,
        columns={
            **(columns or {}),
            "target_id": f"CAST({target_id} AS {text})",
            "target_repr": target_repr,
        },
        params=params,
    )


def accounts_insert_from(
    cursor, *, source: str, columns: Mapping[str, str], params: Sequence = (), **values: Any
) -> int:
    """New accounts, one per row of ``source`` (a FROM clause, with its ``params``), in one
    statement.

    ``columns`` maps a column of the accounts table to an SQL expression over the source's rows
    (``{"username": "n.username", ...}``); ``values`` gives fields one value for every row
    (``school=…``, ``password=…``); every other field has its default, as ``User()`` would.
    A field that has no default and may not be empty must be given one way or the other.
    """
    account = User(**values)
    given = set(columns) | {User._meta.get_field(name).attname for name in values}
    missing = [
        field.name
        for field in User._meta.concrete_fields
        if not (
            field.primary_key or field.generated or field.has_default() or field.null or field.blank
        )
        and field.attname not in given
        and field.column not in given
    ]
    if missing:
        raise ValueError(f"accounts need a value for {', '.join(missing)}")
    return _insert_from(
        cursor, model=User, instance=account, source=source, columns=columns, params=params
    )
