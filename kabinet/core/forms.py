from django import forms
from django.forms.renderers import DjangoTemplates

from kabinet.core.form_html import FIELD, WIDGETS, OwnTemplate, field_html


class KabinetFormRenderer(DjangoTemplates):
    """Fields render with a real <label>, a «*» on required ones, and errors tied to the input,
    written by kabinet.core.form_html; widgets it does not write render through Django's
    templates."""

    field_template_name = FIELD

    def render(self, template_name: str, context: dict, request=None) -> str:
        if template_name == FIELD:
            return field_html(context["field"])
        write = WIDGETS.get(template_name)
        if write is not None:
            try:
                return write(context["widget"])
            except OwnTemplate:
                pass
        return super().render(template_name, context, request)


# The second factor's forms, shown at the customers' and the employees' doors alike.


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Код из приложения",
        max_length=32,
        help_text="Шесть цифр из приложения‑аутентификатора или один из резервных кодов.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
    )
    remember = forms.BooleanField(label="Запомнить этот браузер на 30 дней", required=False)


# A WebAuthn credential as JSON (identity.passkeys); real ones are about 1-2 KB.
_CREDENTIAL = {
    "max_length": 16384,
    "widget": forms.HiddenInput,
    "error_messages": {"required": "Ключ доступа не подтверждён. Попробуйте ещё раз."},
}


class PasskeySignInForm(forms.Form):
    """«Войти с ключом доступа» on the code page: the page's script puts the signed answer here."""

    credential = forms.CharField(**_CREDENTIAL)
    remember = forms.BooleanField(required=False)


class PasskeyForm(forms.Form):
    """«Добавить ключ доступа»: its name, and the new credential the page's script puts here."""

    name = forms.CharField(
        label="Название ключа",
        max_length=64,
        help_text="Чтобы отличать ключи: например, «Телефон» или «Ноутбук».",
        error_messages={"required": "Введите название ключа."},
    )
    credential = forms.CharField(**_CREDENTIAL)


class SetupGrantForm(forms.Form):
    """The one-time code an administrator gives an employee whose second factor they deleted."""

    code = forms.CharField(
        label="Код от администратора",
        max_length=32,
        help_text="Двенадцать букв и цифр, например ABCD-EFGH-JKLM. Действует сутки.",
        error_messages={"required": "Введите код от администратора."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label="Код из приложения",
        max_length=12,
        help_text="Шесть цифр, которые показывает приложение после добавления ключа.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
