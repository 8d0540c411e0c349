"""Hwb's password rules: upper case, lower case and digits, no password a guesser would try
early, and Django's own length, common-password, numeric and similarity checks — subclassed
here only so that their messages are this project's, translated into Welsh in its catalogue
(Django's own Welsh catalogue lacks them, and a Welsh page must not show English)."""

import re
import threading

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from zxcvbn import zxcvbn

from core.text import ascii_fold


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must have at least %(min_length)d character.",
            "Your password must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        # %(verbose_name)s is the field's own (translated) name: "username", "first name".
        return _("This password is too like your %(verbose_name)s.")

    def get_help_text(self) -> str:
        return _("Your password must not be like your name, username or email address.")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return _("This password is too common: people often use it, so it is guessed early.")

    def get_help_text(self) -> str:
        return _("Your password must not be one that many people use.")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return _("This password is only digits: add letters.")

    def get_help_text(self) -> str:
        return _("Your password must not be only digits.")


class MixedCharactersValidator:
    def validate(self, password: str, user=None) -> None:
        if not (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            raise ValidationError(
                _("Your password must contain upper-case letters, lower-case letters and digits."),
                code="password_not_mixed",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain upper-case letters, lower-case letters and digits.")


# Words every guesser tries first at a Welsh school, beside zxcvbn's English lists: Hwb, Wales,
# school words, greetings, and the months and seasons in both languages.
HWB_WORDS = (
    "hwb",
    "cymru",
    "wales",
    "welsh",
    "cymraeg",
    "ysgol",
    "school",
    "croeso",
    "diolch",
    "password",
    "cyfrinair",
    "ionawr",
    "chwefror",
    "mawrth",
    "ebrill",
    "mai",
    "mehefin",
    "gorffennaf",
    "awst",
    "medi",
    "hydref",
    "tachwedd",
    "rhagfyr",
    "gwanwyn",
    "haf",
    "gaeaf",
    "spring",
    "summer",
    "autumn",
    "winter",
)

# zxcvbn keeps the user inputs of a call in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()
# zxcvbn refuses longer input; a passphrase's first 72 characters say enough about it.
_ZXCVBN_MAX_LENGTH = 72


def _folded(text: str) -> str:
    """'Siân' as people type it without accents: 'sian'."""
    return ascii_fold(text).lower()


def _person_words(user) -> list[str]:
    """The person's names, username and email, and their school's or authority's names."""
    if user is None:
        return []
    texts = [
        getattr(user, "username", ""),
        getattr(user, "first_name", ""),
        getattr(user, "last_name", ""),
        (getattr(user, "email", "") or "").split("@")[0],
    ]
    if getattr(user, "school_id", None):
        texts += [user.school.name_en, user.school.name_cy, user.school.dfes_number]
    if getattr(user, "local_authority_id", None):
        texts += [user.local_authority.name_en, user.local_authority.name_cy]
    words: list[str] = []
    for text in texts:
        if not text:
            continue
        folded = _folded(str(text))
        parts = [part for part in folded.replace("-", " ").split() if len(part) > 2]
        words += [folded, folded.replace(" ", ""), *parts]
    return words


def _made_of(token: str, words: set[str]) -> bool:
    """Whether the letters ``token`` are nothing but known words run together."""
    ends = [True] + [False] * len(token)
    for end in range(1, len(token) + 1):
        ends[end] = any(
            ends[start] and token[start:end] in words for start in range(max(0, end - 40), end)
        )
    return ends[-1]


def _only_known_words(password: str, inputs: list[str]) -> bool:
    """'Sian-Jones-2026', 'LlanberisPrimary1': known words with digits and symbols between.

    zxcvbn prices the hyphens and digits of such passwords as random characters."""
    words = {word for word in inputs if len(word) > 2 and word.isalpha()}
    tokens = re.findall(r"[a-z]+", _folded(password))
    return bool(tokens) and all(_made_of(token, words) for token in tokens)


class GuessablePasswordValidator:
    """Refuse passwords that a guesser would try early, by zxcvbn's estimate of the guesses
    needed, knowing the person's names, username, school and Hwb's own words; and refuse those
    made of nothing but such words."""

    def __init__(self, min_score: int = 3):
        self.min_score = min_score

    def validate(self, password: str, user=None) -> None:
        inputs = [*HWB_WORDS, *_person_words(user)]
        with _zxcvbn_lock:
            result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=inputs)
        if result["score"] < self.min_score or _only_known_words(password, inputs):
            raise ValidationError(
                _(
                    "This password would be easy to guess. Do not use names (yours, your "
                    "school's, Hwb or Cymru), months, seasons or years. Use three or four "
                    "unrelated words instead, for example joined by hyphens, with a number."
                ),
                code="password_guessable",
            )

    def get_help_text(self) -> str:
        return _(
            "Use three or four unrelated words, for example joined by hyphens, with a number: "
            "not names, your school, Hwb, Cymru, months, seasons or years."
        )
