"""The «Автоплатёж» form: the day of the month and the cap. Their rules (1–28, the company's
payment limits) are payments.autopayments.checked_terms; this only reads the numbers."""

from decimal import Decimal

from django import forms

from kabinet.billing.money import format_rub

DAYS = [(day, f"{day}-го числа") for day in range(1, 29)]


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
        help_text="Если к оплате больше, автоплатёж ничего не спишет и пришлёт сообщение: оплатите вручную.",
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
            self.fields["cap"].help_text = (
                f"Первый платёж, который сохраняет карту, — {format_rub(first_amount)}: укажите не меньше. "
                + self.fields["cap"].help_text
            )
