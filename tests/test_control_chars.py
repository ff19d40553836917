"""Control characters (other than tab and line breaks) never reach the database from a
form, and stored ones never take a feed down (XML 1.0 cannot carry them)."""

import inspect
import xml.etree.ElementTree as ET

import pytest
from django import forms as django_forms
from django.urls import reverse

from care2.text import ControlCharactersStripped, strip_control_characters
from tests.factories import StoryFactory

NASTY = "Oceans\x01 in\x0b peril\x1f\x7f"  # PostgreSQL cannot store NUL itself


def test_strip_keeps_tabs_and_line_breaks():
    assert strip_control_characters("a\tb\r\nc\x01\x08\x0c\x1b\x7fd") == "a\tb\r\ncd"


@pytest.mark.parametrize(
    "name,args",
    [
        ("stories:feed_rss", []),
        ("stories:feed_atom", []),
        ("stories:feed_new_rss", []),
        ("stories:feed_new_atom", []),
        ("stories:feed_category_rss", ["society-culture"]),
        ("stories:feed_category_atom", ["society-culture"]),
        ("stories:feed_tag_rss", ["oceans"]),
        ("stories:feed_tag_atom", ["oceans"]),
        ("petitions:feed_rss", []),
        ("petitions:feed_atom", []),
        ("petitions:feed_newest_rss", []),
        ("petitions:feed_newest_atom", []),
        ("petitions:feed_category_rss", ["society-culture"]),
        ("petitions:feed_category_atom", ["society-culture"]),
    ],
)
def test_feeds_serve_stored_text_with_control_characters(client, category, name, args):
    from tests.petitions.factories import PetitionFactory

    for published in (True, False):
        StoryFactory(
            category=category, published=published, tags=["oceans"], title=NASTY, summary=NASTY
        )
    PetitionFactory(category=category, title=NASTY, why=NASTY, why_html=f"<p>{NASTY}</p>")
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    ET.fromstring(response.content)  # well-formed XML
    assert "Oceans in peril" in response.content.decode()


def _text_forms():
    """Every form class of the site's input forms that has a text field."""
    import care2.users.forms
    import comments.forms
    import petitions.forms
    import stories.forms

    found = []
    for module in (stories.forms, petitions.forms, comments.forms, care2.users.forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, django_forms.BaseForm)
                and cls.__module__ == module.__name__
                and any(
                    isinstance(field, django_forms.CharField) for field in cls.base_fields.values()
                )
            ):
                found.append(cls)
    return found


def test_every_input_form_with_text_drops_control_characters():
    classes = _text_forms()
    assert len(classes) >= 10
    assert [c.__name__ for c in classes if not issubclass(c, ControlCharactersStripped)] == []


@pytest.mark.django_db
def test_a_bound_form_cleans_every_text_field_but_passwords():
    class Example(ControlCharactersStripped, django_forms.Form):
        title = django_forms.CharField(max_length=16)
        note = django_forms.CharField(widget=django_forms.Textarea)
        email = django_forms.EmailField()
        password = django_forms.CharField(widget=django_forms.PasswordInput)
        choice = django_forms.ChoiceField(choices=[("a", "A")])

    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update(
        {
            "title": "\x01" * 20 + "Short",
            "note": "line\r\n\tnext\x02",
            "email": "a\x03@example.org",
            "password": "p\x01ss",
            "choice": "a",
        }
    )
    form = Example(data)
    assert form.is_valid(), form.errors  # the length limit counts what shows
    assert form.cleaned_data == {
        "title": "Short",
        "note": "line\r\n\tnext",
        "email": "a@example.org",
        "password": "p\x01ss",
        "choice": "a",
    }


@pytest.mark.django_db
def test_a_comment_and_a_story_are_saved_without_control_characters(
    client, member, published_story, category
):
    from stories.models import Story

    client.force_login(member)
    response = client.post(
        reverse("comments:add", args=[published_story.pk]), {"body": "Good\x01 point\x0c."}
    )
    assert response.status_code == 302
    assert published_story.comments.get().body == "Good point."

    response = client.post(
        reverse("stories:submit"),
        {
            "title": "Sea\x01 levels rise",
            "url": "https://news.example.org/sea-levels",
            "summary": "A summary\x08 of the story, long enough to be accepted by the form.",
            "category": category.pk,
            "tags": "oceans",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    story = Story.objects.get(url="https://news.example.org/sea-levels")
    assert story.title == "Sea levels rise"
    assert "\x08" not in story.summary
