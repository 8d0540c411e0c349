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


def test_months_after_keeps_the_day_or_takes_the_months_last():
    from core.dates import months_after

    assert months_after(date(2026, 12, 3), 1) == date(2027, 1, 3)
    assert months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert months_after(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_the_academic_year_ends_on_31_august():
    from core.dates import academic_year_end

    assert academic_year_end(date(2026, 12, 3)) == date(2027, 8, 31)
    assert academic_year_end(date(2027, 8, 31)) == date(2027, 8, 31)
    assert academic_year_end(date(2027, 3, 1), years_on=1) == date(2028, 8, 31)
