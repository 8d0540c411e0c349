"""Free text as stored: what a reader would otherwise not see is gone; what they typed stays."""

import pytest

from accounts.usernames import username_base
from core.text import text_clean
from provisioning.matching.names import name_fold


def test_a_typed_and_a_pasted_circumflex_are_the_same_letter():
    assert text_clean("Tw\u0302r") == text_clean("Tŵr") == "Tŵr"


def test_invisible_and_control_characters_go_but_line_breaks_and_emoji_joiners_stay():
    typed = " Siân\u200b \u202eevil\u202c\x00\x07\nail linell 👩\u200d🏫 "
    assert text_clean(typed) == "Siân evil\nail linell 👩\u200d🏫"


def test_a_limit_cuts_after_cleaning():
    assert text_clean("\x00abcdef", limit=3) == "abc"
    assert text_clean(None) == ""


def test_text_of_nothing_but_joiners_and_spaces_is_empty():
    assert text_clean("\u200d \u200c\n\u200d") == ""
    assert text_clean("\u200b\u202e\u2066") == ""


SURNAMES = ["ap Ŵyn", "Gruffudd", "Straße", "Øster", "Łukasz", "Æthelflæd", "Þórsdóttir", "Đorđe"]


@pytest.mark.parametrize("surname", SURNAMES)
def test_usernames_and_the_staff_matcher_fold_a_surname_the_same_way(surname):
    base = username_base(first_name="Siân", last_name=surname)
    assert base == name_fold(surname).replace(" ", "")[:20] + "s"
    assert base.isascii()
