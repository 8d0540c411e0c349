"""The contract's year groups as people say them ('6' -> 'Year 6'), in the page's language."""

from django import template

from accounts.forms import year_group_label as _year_group_label

register = template.Library()


@register.filter
def year_group_label(code: str) -> str:
    return _year_group_label(code) if code else ""
