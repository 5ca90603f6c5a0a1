from django import template

from portfolio.money import format_percent, format_wan, format_yi

register = template.Library()


@register.filter
def wan(yuan):
    """An amount in 元 shown in 万元, with the unit."""
    return format_wan(yuan)


@register.filter
def yi(yuan):
    """An amount in 元 shown in 亿元, with the unit."""
    return format_yi(yuan)


@register.filter
def rate(value):
    """A percentage rate without trailing zeros: 3.6000 → 3.6%."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return f"{text}%"


@register.filter
def percent(value):
    """A dispatch rate as its one decimal: 56 → 56.0%; — without one."""
    return format_percent(value)
