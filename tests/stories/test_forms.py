import pytest

from stories.forms import StoryForm, parse_tags


@pytest.mark.parametrize(
    "raw,expected",
    [
        (
            "Islam, France,  Frech soldiers , deserting",
            ["Islam", "France", "Frech soldiers", "deserting"],
        ),
        ("climate, Climate, CLIMATE", ["climate"]),
        (" , ,a,,", ["a"]),
        ("two   spaces", ["two spaces"]),
        ("", []),
    ],
)
def test_parse_tags(raw, expected):
    assert parse_tags(raw) == expected


def form(cat, **overrides):
    data = {
        "title": "A river comes back to life",
        "url": "https://news.example.org/river",
        "summary": "Otters are back.",
        "category": cat.pk,
        "tags": "rivers, otters",
    }
    data.update(overrides)
    return StoryForm(data)


@pytest.mark.django_db
class TestStoryForm:
    def test_valid(self, category):
        f = form(category)
        assert f.is_valid(), f.errors
        assert f.cleaned_data["tags"] == ["rivers", "otters"]

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("title", "ab", "at least 3"),
            ("title", "x" * 151, "at most 150"),
            ("url", "javascript:alert(1)", "http"),
            ("url", "ftp://example.org/file", "http"),
            ("url", "https://example.org/" + "a" * 500, "at most 500"),
            ("summary", "", "required"),
            ("summary", "x" * 2001, "at most 2000"),
            ("tags", " , ", "at least one tag"),
            ("tags", ",".join(f"t{i}" for i in range(11)), "at most 10"),
            ("tags", "x" * 51, "at most 50"),
            ("category", "999999", "valid choice"),
        ],
    )
    def test_bad_input_names_the_field(self, category, field, value, message):
        f = form(category, **{field: value})
        assert not f.is_valid()
        assert message in " ".join(f.errors[field])
