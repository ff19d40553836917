from django import template

from petitions.selectors import petitions_for_story

register = template.Library()


@register.inclusion_tag("petitions/_story_petitions.html")
def story_petitions(story):
    """Petitions that grew from a story, listed on the story page (one query)."""
    return {"story": story, "petitions": petitions_for_story(story_id=story.pk)}
