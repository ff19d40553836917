from django import template

register = template.Library()


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def story_comments(context, story):
    """The comment thread and form shown on a story page."""
    return {"story": story, "request": context.get("request")}
