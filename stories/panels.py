"""What stories shows on pages of the layers below it (care2.panels)."""

from django.core.paginator import Paginator

PROFILE_STORIES_PER_PAGE = 20
PROFILE_STORIES_PARAM = "stories"


def member_stories(context, member) -> dict:
    """A member's published and newly submitted stories on their profile, paged by
    ``?stories=`` (the other lists on the page keep their own page)."""
    from stories.models import Story

    request = context.get("request")
    stories = (
        Story.objects.filter(submitter=member, status__in=["published", "new"])
        .select_related("category")
        .defer("summary", "search_vector")
        .order_by("-created_at", "-id")
    )
    page = Paginator(stories, PROFILE_STORIES_PER_PAGE).get_page(
        request.GET.get(PROFILE_STORIES_PARAM) if request is not None else None
    )
    return {
        "member": member,
        "stories_page": page,
        "stories_previous_url": _page_url(request, page.number - 1) if page.has_previous() else "",
        "stories_next_url": _page_url(request, page.number + 1) if page.has_next() else "",
    }


def _page_url(request, number: int) -> str:
    """This page's URL with the stories' page changed (the other lists keep theirs)."""
    query = request.GET.copy()
    query[PROFILE_STORIES_PARAM] = number
    return f"?{query.urlencode()}#stories"


def register() -> None:
    from care2 import demo, panels
    from credits.demo import register_awards
    from stories import demo as stories_demo

    panels.register(
        "member_profile", template="stories/_member_stories.html", context=member_stories, order=10
    )
    panels.register_link("newly_submitted", "stories:newly_submitted")
    demo.register("stories", stories_demo.load, order=10)
    register_awards("stories", stories_demo.credit_awards, order=10)
