"""Writes of provisioning, by job, and the one error type they raise.

- ``runs``: receiving a snapshot as a run, applying it by itself (or importing it here and now);
- ``batches``: a worker's queued runs of several schools applied together in one pass;
- ``repeats``: a snapshot the same as its school's last, recorded without applying it;
- ``held_runs``: the Hwb team's decisions on a run held for review (apply it, or discard it);
- ``jobs``: the daily jobs (learners whose admission date has come, raw UPNs past retention).

Beside them: ``held_moves`` (the Hwb team's decisions on held learner moves), ``moves`` (learners
moving by themselves, a staff record following its account), ``placements`` (ITE reminders),
``recovery`` (stalled runs); accounts' 12-month deletion sweep is ``accounts.retention``.
"""


class ProvisioningError(Exception):
    """A provisioning rule said no; the message is for the person (or client) who asked."""


class StaleSnapshot(ProvisioningError):
    """The snapshot is older than the school's last applied one (HTTP 409)."""
