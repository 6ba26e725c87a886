from django import template

from ecitizen.core.money import format_money

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str = "EUR") -> str:
    """``{{ payment.amount|money:payment.currency }}`` → "€12.50" / "12,50 €"."""
    if amount_minor is None:
        return ""
    return format_money(int(amount_minor), currency)
