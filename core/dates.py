"""Calendar arithmetic in whole years, as people count them (29 February becomes the 28th)."""

from datetime import date


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls back to the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February falls back to the 28th in a common year."""
    return years_after(day, -years)
