"""Free text as stored: what a reader would otherwise not see is gone; what they typed stays."""

from core.text import text_clean


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
