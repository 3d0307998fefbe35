"""«Создать токен» in «Токены доступа»: what the form asks. The rules (own accounts only, at
least one, the lifetimes) are identity.api_tokens'; the form only offers their choices."""

from django import forms

from kabinet.identity.models import AccountLink

RIGHTS = [("read", "Только чтение"), ("readings", "Чтение и показания")]
LIFETIMES = [("30", "30 дней"), ("90", "90 дней"), ("365", "1 год"), ("none", "Без срока")]


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label="Название",
        max_length=100,
        help_text="Чтобы узнать токен в списке, например «Home Assistant».",
        error_messages={"required": "Введите название токена."},
    )
    accounts = forms.TypedMultipleChoiceField(
        label="Лицевые счета",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Отметьте хотя бы один лицевой счёт."},
    )
    rights = forms.ChoiceField(
        label="Права",
        choices=RIGHTS,
        initial="read",
        widget=forms.RadioSelect,
        error_messages={"required": "Выберите права."},
    )
    lifetime = forms.ChoiceField(label="Срок действия", choices=LIFETIMES, initial="90")

    def __init__(self, *args, links: list[AccountLink], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = [(link.account_id, account_label(link)) for link in links]
        if len(links) == 1 and not self.is_bound:
            self.fields["accounts"].initial = [links[0].account_id]


def account_label(link: AccountLink) -> str:
    return f"{link.account.number}, {link.account.premises.address}"
