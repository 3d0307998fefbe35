"""The «Оплатить» form. It only collects what the customer typed: the amount, the method and
the receipt contact are checked by kabinet.payments.services.start_payment, on the server,
whose refusals come back next to their field."""

from decimal import Decimal

from django import forms
from django.utils.safestring import mark_safe

from kabinet.billing.money import format_rub
from kabinet.payments.services import PaymentRefused

METHODS = [("bank_card", "Банковская карта"), ("sbp", "СБП")]  # payments.OnlinePayment.Method
FIELD_OF = {"amount": "amount", "method": "method", "receipt": "receipt"}


class PayForm(forms.Form):
    amount = forms.CharField(
        label="Сумма к оплате, ₽",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount-input"}),
    )
    method = forms.ChoiceField(label="Способ оплаты", choices=METHODS, widget=forms.RadioSelect)
    # «e-mail» never broken at its hyphen when the label wraps on a phone.
    receipt = forms.CharField(
        label=mark_safe('<span class="nowrap">E-mail</span> или телефон для чека'),
        max_length=254,
        help_text="Сюда придёт электронный кассовый чек.",
        widget=forms.TextInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args, limits: tuple[Decimal, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        low, high = limits
        help_text = f"От {format_rub(low)} до {format_rub(high)}. Можно заплатить больше или меньше долга."
        self.fields["amount"].help_text = help_text

    def receipt_contact(self) -> dict[str, str]:
        """The contact as start_payment takes it: an address with «@» is an e-mail."""
        contact = self.cleaned_data["receipt"].strip()
        return {"receipt_email": contact} if "@" in contact else {"receipt_phone": contact}

    def refuse(self, refused: PaymentRefused) -> None:
        """Show the service's refusal next to its field (or above the form)."""
        self.add_error(FIELD_OF.get(refused.field or ""), refused.message)
