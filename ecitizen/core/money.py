"""Money on screen: integer minor units and a currency code, formatted for the active language."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language

# Currencies whose minor unit is not a hundredth (ISO 4217 exponent).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "TND": 3}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "CAD": "CA$"}
# Languages that write the currency symbol before the amount (others write it after).
_SYMBOL_FIRST = {"en"}
NBSP = "\u00a0"


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """12345 EUR cents -> Decimal("123.45")."""
    return Decimal(amount_minor).scaleb(-currency_exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal("123.45") EUR -> 12345 (amounts with more precision are rounded half-up)."""
    scaled = amount.scaleb(currency_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def format_money(amount_minor: int, currency: str) -> str:
    """An amount in minor units, e.g. ``format_money(123450, "EUR")``: "€1,234.50" in
    English, "1 234,50 €" in French and Spanish (with no-break spaces)."""
    currency = currency.upper()
    number = number_format(
        to_major(amount_minor, currency),
        decimal_pos=currency_exponent(currency),
        use_l10n=True,
        force_grouping=True,
    )
    symbol = _SYMBOLS.get(currency, currency)
    language = (get_language() or "en")[:2]
    if language in _SYMBOL_FIRST:
        separator = NBSP if symbol.isalpha() else ""
        if number.startswith("-"):
            return f"-{symbol}{separator}{number[1:]}"
        return f"{symbol}{separator}{number}"
    return f"{number}{NBSP}{symbol}"
