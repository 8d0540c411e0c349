"""A local authority's notices of new schools, mergers and closures, and the staff match lists
of mergers and closures. Their tables keep the names they had in ``transfers``."""

from .notices import SchoolNotice, SchoolNoticeEvent
from .staff_matches import StaffMatch, StaffMatchList

__all__ = ["SchoolNotice", "SchoolNoticeEvent", "StaffMatch", "StaffMatchList"]
