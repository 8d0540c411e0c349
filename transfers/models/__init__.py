"""Staff moves by request: Account Transfer, local-authority notices with the staff matching of
mergers and closures, and service-desk requests."""

from .mergers import StaffMatch, StaffMatchList
from .notices import SchoolNotice, SchoolNoticeEvent
from .service_desk import ServiceDeskEvent, ServiceDeskRequest, authorisation_upload_to
from .transfer_requests import TransferEvent, TransferRequest, _new_nonce  # noqa: F401 - migrations

__all__ = [
    "SchoolNotice",
    "SchoolNoticeEvent",
    "ServiceDeskEvent",
    "ServiceDeskRequest",
    "StaffMatch",
    "StaffMatchList",
    "TransferEvent",
    "TransferRequest",
    "authorisation_upload_to",
]
