"""The «Электронная квитанция» form of the «Квитанции» page."""

from django import forms


class EBillForm(forms.Form):
    ebill = forms.BooleanField(label="Получать квитанцию по e-mail вместо бумажной", required=False)
