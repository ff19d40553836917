"""RSS and Atom feeds of the petition lists: featured, newest, victories, each category."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from care2.feeds import ControlCharactersDroppedFeed
from care2.links import RequestLinksFeed
from petitions import selectors
from stories.models import Category

FEED_SIZE = 30


class PetitionFeed(ControlCharactersDroppedFeed, RequestLinksFeed):
    title_text = "featured petitions"
    link_name = "petitions:list"

    def title(self, obj=None):
        return f"{settings.SITE_NAME}: {self.title_text}"

    def link(self, obj=None):
        return reverse(self.link_name)

    def description(self, obj=None):
        return f"{self.title_text.capitalize()} on {settings.SITE_NAME}."

    def items(self, obj=None):
        return selectors.petitions_featured()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return f"To {item.target}: {item.why[:500]}"

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.created_at

    def item_author_name(self, item):
        return item.creator.public_name


class NewestPetitionFeed(PetitionFeed):
    title_text = "newest petitions"
    link_name = "petitions:newest"

    def items(self, obj=None):
        return selectors.petitions_newest()[:FEED_SIZE]


class VictoryFeed(PetitionFeed):
    title_text = "petition victories"
    link_name = "petitions:victories"

    def items(self, obj=None):
        return selectors.petitions_victories()[:FEED_SIZE]


class CategoryPetitionFeed(PetitionFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, obj=None):
        return f"{settings.SITE_NAME}: petitions in {obj.name}"

    def link(self, obj=None):
        return reverse("petitions:category", args=[obj.slug])

    def description(self, obj=None):
        return f"Petitions in {obj.name}."

    def items(self, obj=None):
        return selectors.petitions_in_category(category=obj)[:FEED_SIZE]


def atom(feed_class):
    return type(f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": Atom1Feed})
