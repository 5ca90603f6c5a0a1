from django import template

from portfolio.money import format_wan, format_yi

register = template.Library()


@register.filter
def wan(yuan):
    """An amount in 元 shown in 万元, with the unit."""
    return format_wan(yuan)


@register.filter
def yi(yuan):
    """An amount in 元 shown in 亿元, with the unit."""
    return format_yi(yuan)
