"""The «Автоплатёж» form: the day of the month and the cap. Their rules (1–28, the company's
payment limits) are payments.autopayments.checked_terms; this only reads the numbers."""

from django import forms

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
