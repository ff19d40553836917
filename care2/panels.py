"""Panels: parts of a lower app's page that upper apps fill in.

A page low in the layers (a member's profile and settings in ``care2.users``, the story
page in ``stories``) names a slot; the apps above register what they show there from
their ``AppConfig.ready()``, the way they register sitemaps (``care2.sitemaps``). The page
renders the slot with ``{% panels "slot" obj %}`` (``care2.templatetags.care2_tags``) and
so loads no upper app's template tags and links to none of its URLs.

A panel is a template and a function ``context(page_context, obj) -> dict`` that gives the
template its context, exactly as an inclusion tag would; panels of one slot render in
``order``. Links work the same way: ``register_link("newly_submitted",
"stories:newly_submitted")`` lets a lower page write ``{% site_link "newly_submitted" %}``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Panel:
    order: int
    template: str
    context: Callable


PANELS: dict[str, list[Panel]] = {}
LINKS: dict[str, str] = {}


def register(slot: str, *, template: str, context: Callable, order: int = 0) -> None:
    panels = [p for p in PANELS.get(slot, []) if p.template != template]
    panels.append(Panel(order=order, template=template, context=context))
    PANELS[slot] = sorted(panels, key=lambda p: p.order)


def panels(slot: str) -> list[Panel]:
    return PANELS.get(slot, [])


def register_link(name: str, url_name: str) -> None:
    LINKS[name] = url_name


def link(name: str) -> str:
    """The URL registered under ``name``, or "" when no installed app offers it."""
    url_name = LINKS.get(name)
    return reverse(url_name) if url_name else ""
