"""Whole years as people count them: the retention and "new school" windows."""

from datetime import date

from core.dates import years_after, years_before


def test_a_year_after_a_leap_day_is_the_28th_of_february():
    assert years_after(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_a_year_before_a_leap_day_is_the_28th_of_february():
    assert years_before(date(2028, 2, 29), 1) == date(2027, 2, 28)


def test_other_days_keep_their_day_and_month():
    assert years_after(date(2026, 9, 1), 1) == date(2027, 9, 1)
    assert years_before(date(2026, 9, 1), 2) == date(2024, 9, 1)
