"""The demo content `make run` loads: enough of everything for every page, original, and
loaded twice it changes nothing."""

import io

import pytest
from django.core.management import call_command

from care2.users.models import User
from stories.models import Category, Story

pytestmark = pytest.mark.django_db


def counts():
    return (
        Category.objects.count(),
        Story.objects.count(),
        User.objects.count(),
        Story.tags.through.objects.count(),
    )


def test_demo_content_fills_every_page_and_loads_once():
    call_command("load_demo", stdout=io.StringIO())
    assert Category.objects.count() >= 6
    assert Category.objects.filter(name="Society & Culture").exists()
    stories = Story.objects.all()
    assert stories.count() >= 30
    assert len({s.category_id for s in stories}) >= 6  # spread across the categories
    assert stories.filter(status=Story.Status.NEW).exists()
    assert stories.filter(status=Story.Status.PUBLISHED).count() >= 20
    assert all(s.url.startswith("https://") for s in stories)  # every story has its source
    assert all(s.tags.exists() for s in stories)
    assert all(u.public_name and u.public_name != "Member" for u in User.objects.all())
    before = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == before
