from django import template

from credits.services import credit_amounts

register = template.Library()


@register.inclusion_tag("credits/_box.html")
def credits_box():
    """The seed's "butterfly credits on the news network" box, amounts from the rules."""
    return {"amounts": credit_amounts()}
