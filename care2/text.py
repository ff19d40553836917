"""Text that people type: control characters are dropped at input.

A control character (U+0000–U+001F except tab, line feed and carriage return, and
U+007F) shows as nothing on a page, but XML 1.0 cannot carry it: one in a story summary
or a petition title made every feed that lists it fail. Forms drop them with
``ControlCharactersStripped``; the feeds also clean stored text (``care2.feeds``).
"""

import re

from django import forms

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value: str) -> str:
    return CONTROL_CHARACTERS.sub("", value)


class ControlCharactersStripped:
    """Form mixin (``class StoryForm(ControlCharactersStripped, forms.Form)``): every text
    field's submitted value loses its control characters before the field cleans it, so
    length limits and "required" see the text as it shows. Passwords are kept exactly as
    typed (log-in compares them byte for byte)."""

    def full_clean(self):
        if self.is_bound:
            names = {
                self.add_prefix(name)
                for name, field in self.fields.items()
                if isinstance(field, forms.CharField)
                and not isinstance(field.widget, forms.PasswordInput)
            }
            self.data = _stripped(self.data, names)
        super().full_clean()


def _stripped(data, names: set[str]):
    def clean(value):
        return strip_control_characters(value) if isinstance(value, str) else value

    if hasattr(data, "getlist"):  # a QueryDict (immutable) or a MultiValueDict
        data = data.copy()
        for name in names & set(data.keys()):
            data.setlist(name, [clean(value) for value in data.getlist(name)])
        return data
    return {key: clean(value) if key in names else value for key, value in data.items()}
