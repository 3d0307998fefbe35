from django import forms
from django.forms.renderers import DjangoTemplates


class KabinetFormRenderer(DjangoTemplates):
    """Fields render with a real <label>, a «*» on required ones, and errors tied to the input."""

    field_template_name = "core/forms/field.html"


# The second factor's forms, shown at the customers' and the employees' doors alike.


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Код из приложения",
        max_length=32,
        help_text="Шесть цифр из приложения‑аутентификатора или один из резервных кодов.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
    )
    remember = forms.BooleanField(label="Запомнить этот браузер на 30 дней", required=False)


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label="Код из приложения",
        max_length=12,
        help_text="Шесть цифр, которые показывает приложение после добавления ключа.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
