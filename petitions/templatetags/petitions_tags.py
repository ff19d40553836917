from django import template

register = template.Library()


@register.inclusion_tag("petitions/_story_petitions.html")
def story_petitions(story):
    """Petitions that grew from a story, listed on the story page."""
    return {"story": story, "petitions": []}
