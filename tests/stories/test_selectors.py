"""The stories' written-out reads give what the ORM queries they stand for give."""

import pytest
from django.http import Http404

from stories import selectors, services
from stories.models import Story

pytestmark = pytest.mark.django_db


def test_published_story_is_the_orm_row_with_its_category(
    published_story, django_assert_num_queries
):
    expected = Story.objects.select_related("category").get(pk=published_story.pk)
    with django_assert_num_queries(1):
        story = selectors.published_story(published_story.pk)
        assert story.category == expected.category  # read with it, not afterwards
        assert story.category.slug == expected.category.slug
    fields = [f.attname for f in Story._meta.concrete_fields if f.name != "search_vector"]
    assert [getattr(story, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert story.get_absolute_url() == expected.get_absolute_url()
    assert story._state.db == "default" and not story._state.adding
    assert story.published_at.tzinfo is not None


@pytest.mark.parametrize("pk", ["nope", None, 10**12, 10**30, -(10**30)])
def test_published_story_404s_for_no_such_story(pk):
    with pytest.raises(Http404):
        selectors.published_story(pk)


def test_published_story_404s_for_a_story_not_published(story):
    with pytest.raises(Http404):
        selectors.published_story(story.pk)


def test_the_comment_count_changes_only_on_a_published_story_when_asked(story, published_story):
    assert services.story_comment_count_add(story_id=published_story.pk, delta=2)
    assert not services.story_comment_count_add(story_id=story.pk, delta=1, published_only=True)
    assert services.story_comment_count_add(story_id=story.pk, delta=1)
    assert services.story_comment_count_add(
        story_id=published_story.pk, delta=-1, published_only=True
    )
    assert not services.story_comment_count_add(story_id=10**12, delta=1)
    published_story.refresh_from_db()
    story.refresh_from_db()
    assert (published_story.comment_count, story.comment_count) == (1, 1)
