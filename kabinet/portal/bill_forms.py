"""The «Электронная квитанция» form of the «Квитанции» page."""

from django import forms
from django.utils.safestring import mark_safe


class EBillForm(forms.Form):
    # «e-mail» never broken at its hyphen when the label wraps on a phone.
    ebill = forms.BooleanField(
        label=mark_safe('Получать квитанцию по <span class="nowrap">e-mail</span> вместо бумажной'), required=False
    )
