"""Reads of schools."""

from .identifiers import is_valid_dfes_number, normalise_dfes_number
from .models import School


def school_by_dfes_number(dfes_number: str) -> School | None:
    """The school with this DfES number, or None (also for anything that is not one)."""
    dfes_number = normalise_dfes_number(dfes_number)
    if not is_valid_dfes_number(dfes_number):
        return None
    return School.objects.select_related("local_authority").filter(dfes_number=dfes_number).first()
