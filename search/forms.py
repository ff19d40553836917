import datetime
import re

from django import forms
from django.utils import timezone

from stories.models import Category

PREFIX = re.compile(r'(?P<key>tag|domain):(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))', re.IGNORECASE)


def parse_query(raw: str) -> tuple[str, dict[str, str]]:
    """Split `tag:climate domain:example.org ocean plastic` into words and filters.
    A tag with spaces is quoted: tag:"Frech soldiers"."""
    filters = {}

    def take(match):
        filters[match["key"].lower()] = match["quoted"] or match["bare"]
        return " "

    words = PREFIX.sub(take, raw)
    return " ".join(words.split()), filters


class SearchForm(forms.Form):
    KINDS = [("all", "Stories and petitions"), ("stories", "Stories"), ("petitions", "Petitions")]
    SINCE = [
        ("", "Any time"),
        ("1", "Past day"),
        ("7", "Past week"),
        ("30", "Past month"),
        ("365", "Past year"),
    ]

    q = forms.CharField(label="Search", max_length=200, required=False)
    kind = forms.ChoiceField(choices=KINDS, required=False, initial="all")
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="Any category",
    )
    tag = forms.CharField(max_length=50, required=False)
    since = forms.ChoiceField(choices=SINCE, required=False, label="Date")

    def clean(self):
        data = super().clean()
        words, filters = parse_query(data.get("q", ""))
        data["words"] = words
        data["tag"] = filters.get("tag") or data.get("tag", "")
        data["domain"] = filters.get("domain", "")
        days = data.get("since")
        data["since_at"] = timezone.now() - datetime.timedelta(days=int(days)) if days else None
        data["kind"] = data.get("kind") or "all"
        return data
