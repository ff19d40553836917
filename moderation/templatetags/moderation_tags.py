from django import template

from moderation.selectors import moderation_queue

register = template.Library()


@register.inclusion_tag("admin/moderation/_dashboard.html", takes_context=True)
def moderation_dashboard(context):
    """The moderators' dashboard: what waits for a decision, each a link to the admin
    list filtered to exactly those items."""
    request = context.get("request")
    user = getattr(request, "user", None)
    items = moderation_queue(user=user) if user is not None and user.is_staff else []
    return {"items": items}
