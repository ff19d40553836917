"""Display helpers used on every page (loaded as template builtins)."""

import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

register = template.Library()


def inline_tag(template_name: str):
    """Like ``register.inclusion_tag``, but the rendered snippet is stripped.

    These snippets sit inside sentences and lists ("signed 2 days ago. Thank you",
    "Beth S (330), Allen G (12)"): a final newline in the snippet's file would otherwise
    show as a space before the punctuation that follows the tag.
    """

    def decorator(func):
        def tag(context, *args, **kwargs):
            snippet = context.template.engine.get_template(template_name)
            return mark_safe(snippet.render(context.new(func(*args, **kwargs))).strip())

        tag.__doc__ = func.__doc__
        register.simple_tag(tag, takes_context=True, name=func.__name__)
        return func

    return decorator


@register.filter
def age(value: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """Relative age as on Care2: "just now", "5 minutes ago", "3 hours ago", "1581 days ago"."""
    if value is None:
        return ""
    now = now or timezone.now()
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 60:
        return "just now"
    for unit_seconds, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= unit_seconds:
            count = seconds // unit_seconds
            return f"{count} {name}{'' if count == 1 else 's'} ago"
    return "just now"  # pragma: no cover


@register.filter
def longdate(value: datetime.datetime | None) -> str:
    """The seed's comment date: "Thursday January 22, 2015, 8:30 am", in the active time zone."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    hour = local.hour % 12 or 12
    return f"{local:%A %B} {local.day}, {local.year}, {hour}:{local:%M} {'am' if local.hour < 12 else 'pm'}"


@inline_tag("includes/_time.html")
def time_ago(value: datetime.datetime):
    """A <time> element showing the relative age, with the exact time as its title."""
    return {"value": value}


@inline_tag("includes/_member.html")
def member(user, number=None):
    """A member's public name followed by their number, as "Beth S (330)".

    The number is the member's lifetime credits; callers pass it when they have it
    annotated, otherwise it is read from the member row (no extra query either way).
    """
    return {"member": user, "number": member_number(user) if number is None else number}


def member_number(user) -> int:
    """The number in parentheses after a member's name: lifetime credits earned.

    The credits issue fills this; until then every member shows 0.
    """
    if user is None:
        return 0
    return getattr(user, "credits_earned", 0) or 0


@inline_tag("includes/_avatar.html")
def avatar(user, size: int = 64):
    """A member's picture, or a generated circle with their initials."""
    image = None
    if user is not None and getattr(user, "avatar", None):
        image = user.avatar_small if size <= 64 and user.avatar_small else user.avatar
    hue = (user.pk or 0) * 47 % 360 if user is not None else 0
    return {"member": user, "image": image, "size": size, "hue": hue}


@register.simple_tag(takes_context=True)
def panels(context, slot: str, obj) -> str:
    """The panels upper apps registered for ``slot`` of this page (care2.panels), each
    rendered like an inclusion tag: its template with the context its function gives."""
    from care2 import panels as registry

    parts = []
    csrf_token = context.get("csrf_token")
    for panel in registry.panels(slot):
        panel_context = context.new(panel.context(context, obj))
        if csrf_token is not None:
            panel_context["csrf_token"] = csrf_token
        snippet = context.template.engine.get_template(panel.template)
        parts.append(snippet.render(panel_context).strip())
    return mark_safe("\n\n  ".join(parts))


@register.simple_tag
def site_link(name: str) -> str:
    """A page of an upper app that a lower page links to, by the name the upper app
    registered (care2.panels.register_link); "" when none did."""
    from care2 import panels as registry

    return registry.link(name)
