"""Your Details' two-step verification row reads the account's status through this tag."""

from django import template

from accounts.second_factor import SecondFactorStatus, second_factor_status

register = template.Library()


@register.simple_tag
def second_factor_of(user) -> SecondFactorStatus:
    return second_factor_status(user)
