"""Money is Decimal, never float. Rounding to kopecks happens here and nowhere else."""

from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")


def to_kopecks(value: Decimal | int | str) -> Decimal:
    """Round half up to the kopeck, as Russian payment documents do. Floats are refused:
    0.1 + 0.2 is not money."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def is_whole_kopecks(value: Decimal) -> bool:
    """A sum someone typed is roubles and kopecks: finite, no significant digit past the second
    after the point («1500.000» is fine). Read off the digits, because quantize() of «1e100» or
    of a thousand digits overflows the context."""
    if not value.is_finite():
        return False
    _, digits, exponent = value.as_tuple()
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return not any(digits) or -(exponent + zeros) <= 2


def charge(volume: Decimal, rate: Decimal) -> Decimal:
    return to_kopecks(volume * rate)


def closing_balance(opening: Decimal, accrued: Decimal, paid: Decimal) -> Decimal:
    """Debt is positive, overpayment negative."""
    return to_kopecks(opening + accrued - paid)


def in_kopecks(amount: Decimal) -> int:
    """Whole kopecks, as payment documents' «Sum» field wants them."""
    return int(to_kopecks(amount) * 100)


NBSP = "\u00a0"


def format_rub(amount: Decimal) -> str:
    """«1 234,56 ₽», as Russian documents write money; a debt sign is the minus «−»."""
    return f"{format_amount(amount)}{NBSP}₽"


def format_amount(amount: Decimal) -> str:
    """«1 234,56»: a table cell's amount, where the column head says ₽."""
    amount = to_kopecks(amount)
    whole, kopecks = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", NBSP)
    return f"{'−' if amount < 0 else ''}{groups},{kopecks}"


def format_quantity(value: Decimal) -> str:
    """A volume or a tariff with a decimal comma, grouped thousands and no trailing zeros:
    «2,63», «3 079,54», «171»."""
    text = format(value.normalize(), ",f") if value else "0"
    return text.replace(",", NBSP).replace(".", ",")


def format_input_amount(amount: Decimal) -> str:
    """«1536,18»: an amount as a person types it into a field (no grouping, no ₽), so what
    the form pre-fills is what it reads back."""
    return f"{to_kopecks(amount):.2f}".replace(".", ",")
