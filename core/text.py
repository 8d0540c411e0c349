"""Free text as the portal stores it (names, notes, statements), and the one ASCII folding that
usernames and the staff matcher both use (so the two can never fold a name differently)."""

import unicodedata

# Format characters that join what people type (emoji sequences, some scripts): kept.
JOINERS = {"\u200c", "\u200d"}


def text_clean(value: str | None, *, limit: int | None = None) -> str:
    """NFC (a typed "ŵ" equals a pasted one), no control characters but line breaks (PostgreSQL
    refuses NUL), no invisible format characters (zero-width spaces, bidi overrides) but the
    joiners, no spaces at either end; cut at ``limit`` when given. Text that is nothing but
    joiners and spaces is empty (a joiner only joins what is there)."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(char for char in value if _kept(char))
    value = value.strip()
    if all(char in JOINERS or char.isspace() for char in value):
        return ""
    return value[:limit] if limit is not None else value


def _kept(char: str) -> bool:
    return char == "\n" or char in JOINERS or unicodedata.category(char) not in ("Cc", "Cf")


# Letters that Unicode decomposition does not fold to ASCII on its own.
_SPECIAL_FOLDS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


def ascii_fold(text: str) -> str:
    """'Siân ap Ŵyn-Jones' -> 'Sian ap Wyn-Jones'."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_FOLDS))
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode()
    )


def writing_language() -> str:
    """The language ("cy", "en") of the page someone is writing on: their words are most likely
    in it, and are marked so (``lang``) wherever others read them (WCAG 3.1.2)."""
    from django.utils import translation

    language = (translation.get_language() or "")[:2]
    return language if language in ("cy", "en") else ""
