from django import template

from petitions.selectors import petitions_for_story

register = template.Library()


@register.inclusion_tag("petitions/_story_petitions.html")
def story_petitions(story):
    """Petitions that grew from a story, listed on the story page (one query)."""
    return {"story": story, "petitions": petitions_for_story(story_id=story.pk)}


@register.inclusion_tag("petitions/_member_petitions.html", takes_context=True)
def member_petitions(context, member, per_page: int = 10):
    """Petitions a member started, on their profile page (paginated with ?petitions=N)."""
    from django.core.paginator import Paginator

    from petitions.models import Petition

    request = context.get("request")
    petitions = Petition.objects.visible().filter(creator=member).order_by("-created_at", "-id")
    page = Paginator(petitions, per_page).get_page(
        request.GET.get("petitions") if request else None
    )
    return {"member": member, "petitions_page": page}
