from django import template

from credits.services import credit_amounts

register = template.Library()


@register.inclusion_tag("credits/_box.html")
def credits_box():
    """The seed's "butterfly credits on the news network" box, amounts from the rules."""
    return {"amounts": credit_amounts()}


@register.filter
def signed(value) -> str:
    """A change in credits with its sign: "+3", "−1", "0"."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    if number > 0:
        return f"+{number}"
    if number < 0:
        return f"\u2212{-number}"
    return "0"


@register.inclusion_tag("credits/_chart.html")
def credits_chart(chart):
    """The server-rendered SVG bar chart of credits earned per day."""
    return {"chart": chart}
