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


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def academic_year_end(day: date, *, years_on: int = 0) -> date:
    """31 August ending the academic year ``day`` is in (``years_on`` years later)."""
    end = date(day.year, 8, 31) if day <= date(day.year, 8, 31) else date(day.year + 1, 8, 31)
    return years_after(end, years_on)
