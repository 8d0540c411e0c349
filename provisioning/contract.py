"""The count names of the Provisioning Client contract, in its order (provisioning-api.md).

Defined once: the runs count them, the API shows them, the import command prints them.
"""

LEARNER_COUNTS = (
    "received",
    "created",
    "updated",
    "unchanged",
    "left",
    "moved_in",
    "awaiting_leaver",
    "rejected",
)
STAFF_COUNTS = ("received", "created", "updated", "unchanged", "left", "rejected")
# The counts of a run, by the contract's name of each kind of record.
COUNT_NAMES = {"learners": LEARNER_COUNTS, "staff": STAFF_COUNTS}
