from django.utils.functional import SimpleLazyObject

from stories.models import Category


def categories(request):
    """The category list in the sidebar; queried only by pages that show it."""
    return {"categories": SimpleLazyObject(lambda: list(Category.objects.all()))}
