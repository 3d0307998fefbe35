"""The «Автоплатёж» form: the day of the month and the cap. Their rules (1–28, the company's
payment limits) are payments.autopayments.checked_terms; this only reads the numbers.

A GET draws the form unbound, the same for every customer but for the day, the cap and the first
payment's amount: its two field groups are drawn once a process with stand-ins where those go
(`setup_fields`, `working_fields`; docs/performance.md, step 23). A posted form is drawn from
itself (`form_fields`); tests/portal/test_autopayment.py holds the drawings to the form's own."""

from decimal import Decimal
from functools import cache, lru_cache

from django import forms
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.safestring import SafeString, mark_safe

from kabinet.billing.money import format_rub
from kabinet.core.form_html import cut, formatted

DAYS = [(day, f"{day}-го числа") for day in range(1, 29)]
FIRST_DAY = 15  # offered when setting one up
CAP_HELP = "Если к оплате больше, автоплатёж ничего не спишет и пришлёт сообщение: оплатите вручную."


def _first_payment_help(amount: str) -> str:
    return f"Первый платёж, который сохраняет карту, — {amount}: укажите не меньше. {CAP_HELP}"


class AutoPaymentForm(forms.Form):
    day = forms.TypedChoiceField(
        label="День списания",
        choices=DAYS,
        coerce=int,
        help_text="С 1 по 28: такой день есть в каждом месяце.",
        error_messages={"required": "Выберите день списания.", "invalid_choice": "Выберите день с 1 по 28."},
    )
    cap = forms.DecimalField(
        label="Не больше, ₽",
        localize=True,
        decimal_places=2,
        help_text=CAP_HELP,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "required": "Укажите, сколько можно списать за месяц, например 5000.",
            "invalid": "Введите сумму числом, например 5000 или 4500,50.",
            "max_decimal_places": "Сумма — в рублях и копейках, не больше двух знаков после запятой.",
            "max_digits": "Слишком большая сумма.",
        },
    )

    def __init__(self, *args, first_amount: Decimal | None = None, **kwargs):
        """`first_amount`: the setting-up payment, stated next to the cap it must not exceed."""
        super().__init__(*args, **kwargs)
        if first_amount is not None:
            self.fields["cap"].help_text = _first_payment_help(format_rub(first_amount))


# The template wrote the two groups one under the other.
_SEPARATOR = "\n  "
# Where the cap and the first payment's amount stand in the groups drawn once, cut there for an
# account's to be written in: text no label, help or attribute of the form holds.
_CAP, _AMOUNT = "\x1fautopayment-cap\x1f", "\x1fautopayment-first-amount\x1f"


def form_fields(form: AutoPaymentForm) -> SafeString:
    """The day's and the cap's field groups as the form draws them (a posted one: values, errors)."""
    return mark_safe(_SEPARATOR.join(form[name].as_field_group() for name in ("day", "cap")))  # noqa: S308 -- drawn escaped


def setup_fields(first_amount: Decimal) -> SafeString:
    """`AutoPaymentForm(initial={"day": FIRST_DAY}, first_amount=first_amount)`'s groups."""
    head, tail = _setup_around()
    return mark_safe(f"{head}{formatted(format_rub(first_amount))}{tail}")  # noqa: S308 -- escaped by formatted


def working_fields(day: int, cap: Decimal) -> SafeString:
    """`AutoPaymentForm(initial={"day": day, "cap": cap})`'s groups: a working autopayment's terms."""
    head, tail = _working_around(day)
    field = AutoPaymentForm.base_fields["cap"]  # the input's value as the bound field gives it
    value = formatted(field.widget.format_value(field.prepare_value(cap)))
    return mark_safe(f"{head}{value}{tail}")  # noqa: S308 -- escaped by formatted


@cache
def _setup_around() -> tuple[str, str]:
    form = AutoPaymentForm(initial={"day": FIRST_DAY})
    form.fields["cap"].help_text = _first_payment_help(_AMOUNT)
    head, tail = cut(form_fields(form), _AMOUNT)
    return head, tail


@lru_cache(maxsize=32)  # a day from 1 to 28
def _working_around(day: int) -> tuple[str, str]:
    head, tail = cut(form_fields(AutoPaymentForm(initial={"day": day, "cap": _CAP})), _CAP)
    return head, tail


@receiver(setting_changed)
def _forget_drawn_fields(**kwargs) -> None:
    # A test's FORM_RENDERER, templates or number formats draw them afresh.
    _setup_around.cache_clear()
    _working_around.cache_clear()
