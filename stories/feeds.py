"""RSS and Atom feeds of stories: front page, newly submitted, each category, each tag."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from taggit.models import Tag

from care2.feeds import ControlCharactersDroppedFeed
from care2.links import RequestLinksFeed
from stories.models import Category, Story

FEED_SIZE = 30


class StoryFeed(ControlCharactersDroppedFeed, RequestLinksFeed):
    def title(self, obj=None):
        return f"{settings.SITE_NAME}: top stories"

    def link(self, obj=None):
        return reverse("stories:front")

    def description(self, obj=None):
        return "Stories members vetted onto the front page."

    def published(self):
        return (
            Story.objects.published()
            .select_related("category", "submitter")
            .order_by("-published_at", "-id")
        )

    def items(self, obj=None):
        return self.published()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at or item.created_at

    def item_author_name(self, item):
        return item.submitter.public_name

    def item_categories(self, item):
        return [item.category.name]


class NewlySubmittedFeed(StoryFeed):
    def title(self, obj=None):
        return f"{settings.SITE_NAME}: newly submitted"

    def link(self, obj=None):
        return reverse("stories:newly_submitted")

    def description(self, obj=None):
        return "Stories waiting for members to vet them."

    def items(self, obj=None):
        return (
            Story.objects.newly_submitted()
            .select_related("category", "submitter")
            .order_by("-created_at", "-id")[:FEED_SIZE]
        )


class CategoryFeed(StoryFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, obj=None):
        return f"{settings.SITE_NAME}: {obj.name}"

    def link(self, obj=None):
        return obj.get_absolute_url()

    def description(self, obj=None):
        return obj.description or f"Stories in {obj.name}."

    def items(self, obj=None):
        return self.published().filter(category=obj)[:FEED_SIZE]


class TagFeed(StoryFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, obj=None):
        return f"{settings.SITE_NAME}: tagged “{obj.name}”"

    def link(self, obj=None):
        return reverse("stories:tag", args=[obj.slug])

    def description(self, obj=None):
        return f"Stories tagged {obj.name}."

    def items(self, obj=None):
        return (
            Story.objects.visible()
            .filter(tags=obj)
            .select_related("category", "submitter")
            .order_by("-created_at", "-id")[:FEED_SIZE]
        )


def atom(feed_class):
    return type(
        f"Atom{feed_class.__name__}",
        (feed_class,),
        {"feed_type": Atom1Feed, "subtitle": feed_class.description},
    )
