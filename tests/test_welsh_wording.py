"""The Welsh catalogue's wording, as a Welsh-language review asked (issue 15): button labels quoted
in running text (so they need no mutation), "desg wasanaeth" (desg is feminine), the
authorisation declaration saying what is meant, sentence case on buttons."""

from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "cy" / "LC_MESSAGES" / "django.po"


def _welsh() -> str:
    return "\n".join(
        line for line in PO.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )


def test_no_wording_the_review_found_wrong_remains():
    text = _welsh()
    for wrong in (
        "desg gwasanaeth",
        "Cliciwch ar",
        "neu Canslo",
        "Dewiswch Cymeradwyo",
        "fy mod yn cael ateb",
        "Gweld y Cais",
        "Canslo’r Cais",
        # one term for one thing: the transfer request, and the staff account matches
        "Cais Trosglwyddo Cyfrif",
        "cais Trosglwyddo Cyfrif",
        "cais trosglwyddo agored",
        "aru cyfrifon staff",
        "cyfatebiaethau staff",
    ):
        assert wrong not in text, wrong


def test_the_declaration_says_the_signer_may_answer_for_the_organisation():
    assert "bod gennyf hawl i ateb ar ran y sefydliad hwn" in _welsh()


def test_welsh_page_names_and_labels_are_in_sentence_case():
    text = _welsh()
    for title_case in (
        "Fy Mhroffil",
        "Eich Manylion",
        "Statws Trosglwyddo Cyfrif",
        "Dangosfwrdd Staff yr Ysgol",
        "yr Ysgol Flaenorol",
        "Trosglwyddo Cyfrif",
    ):
        assert title_case not in text, title_case
