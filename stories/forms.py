from django import forms
from django.core.validators import URLValidator

from care2.text import ControlCharactersStripped
from stories.models import Category, Report

MAX_TAGS = 10
MAX_TAG_LENGTH = 50


def parse_tags(raw: str) -> list[str]:
    """Split a comma-separated tag list: trimmed, empty items dropped, duplicates that
    differ only in case merged (the first spelling wins; misspellings are the member's)."""
    seen: dict[str, str] = {}
    for item in raw.split(","):
        name = " ".join(item.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


class StoryForm(ControlCharactersStripped, forms.Form):
    title = forms.CharField(min_length=3, max_length=150)
    url = forms.URLField(
        label="Link to the source article",
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        error_messages={"invalid": "Enter a web address starting with http:// or https://."},
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=1,
        max_length=2000,
        help_text="Plain text, up to 2,000 characters: what the story says and why it matters.",
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), empty_label="Choose a category"
    )
    tags = forms.CharField(
        max_length=1000,
        help_text="1 to 10 tags, separated by commas, e.g. climate, oceans, plastic.",
    )

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_tags(self):
        tags = parse_tags(self.cleaned_data["tags"])
        if not tags:
            raise forms.ValidationError("Add at least one tag.")
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(f"Use at most {MAX_TAGS} tags (you gave {len(tags)}).")
        too_long = [t for t in tags if len(t) > MAX_TAG_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Each tag can have at most {MAX_TAG_LENGTH} characters: “{too_long[0][:60]}…” is too long."
            )
        return tags


class ReportForm(ControlCharactersStripped, forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices, widget=forms.RadioSelect)
    note = forms.CharField(max_length=300, required=False, label="Anything to add? (optional)")
