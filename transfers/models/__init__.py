"""Staff moves by request: Account Transfer and service-desk requests."""

from .service_desk import ServiceDeskEvent, ServiceDeskRequest, authorisation_upload_to
from .transfer_requests import TransferEvent, TransferRequest, _new_nonce  # noqa: F401 - migrations

__all__ = [
    "ServiceDeskEvent",
    "ServiceDeskRequest",
    "TransferEvent",
    "TransferRequest",
    "authorisation_upload_to",
]
