"""Hwb's password rule: upper case, lower case and digits (length is Django's own validator)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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
