"""Members' names: at least one visible character.

Names are shown to everyone, so a name made only of spaces, zero-width characters,
direction overrides or other format and control characters (``"\\u200b"``,
``"\\u202e"``) is refused. Names that are accepted may still hold direction marks; the
templates isolate every name in ``<bdi>`` so it cannot reorder the text around it.
"""

import unicodedata

from django.core.exceptions import ValidationError

# Separators, control, format, surrogate, private-use and unassigned characters, and
# combining marks with nothing to combine with, draw nothing on their own.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})
# Letters and symbols that render as blank space.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

INVISIBLE_NAME_MESSAGE = "Enter a name with at least one visible letter."


def has_visible_character(value: str) -> bool:
    return any(
        unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _BLANK_CHARACTERS
        for ch in value
    )


def clean_name(value: str, *, required: bool) -> str:
    """The name as typed, without surrounding spaces; refused when it shows nothing."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError("Enter a first name.", code="required")
        return ""
    if not has_visible_character(value):
        raise ValidationError(INVISIBLE_NAME_MESSAGE, code="invisible")
    return value
