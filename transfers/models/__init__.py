"""Account Transfer: requests and their timelines."""

from .transfer_requests import TransferEvent, TransferRequest, _new_nonce  # noqa: F401 - migrations

__all__ = [
    "TransferEvent",
    "TransferRequest",
]
