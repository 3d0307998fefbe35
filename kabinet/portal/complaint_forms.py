"""The complaint form (ПП № 55): exactly the fields the rules list, each with a plain-Russian
hint; refusals come back at their field."""

from datetime import date
from functools import cache
import re
from types import SimpleNamespace

from django import forms
from django.conf import settings
from django.core.signals import setting_changed
from django.core.validators import MaxLengthValidator
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kabinet.appeals.complaints import BY_LETTER
from kabinet.appeals.complaints_models import DocumentType
from kabinet.appeals.files import limits
from kabinet.appeals.form_fields import FilesField, files_help
from kabinet.appeals.models import ContactMethod
from kabinet.billing.models import PersonalAccount
from kabinet.core.form_html import cut, value_attribute
from kabinet.identity.phones import InvalidPhone, normalize_phone
from kabinet.portal.appeal_forms import account_label
from kabinet.portal.forms import ListedModelChoiceField

NO_EMAIL = "Укажите e-mail, если хотите получить ответ по e-mail, или выберите SMS."
_PASSPORT_SERIES = re.compile(r"\d{4}")
_PASSPORT_NUMBER = re.compile(r"\d{6}")
_OTHER_DOCUMENT = re.compile(r"[0-9A-Za-zА-Яа-яЁё№\- ]{1,20}")
_NAME = re.compile(r"[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё\-' .]*")
DATETIME = "%Y-%m-%dT%H:%M"
PHONE_EXAMPLE = "+7\u00a0912\u00a0345\u201167\u201189"  # never broken over lines


def _datetime_field(label: str, help_text: str, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        required=required,
        input_formats=[DATETIME, "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME),
        error_messages={"invalid": "Укажите дату и время, например 05.11.2026 14:30."},
    )


class ComplaintForm(forms.Form):
    full_name = forms.CharField(
        label="Фамилия, имя, отчество",
        max_length=200,
        help_text="Как в документе, удостоверяющем личность.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    residence = forms.CharField(
        label="Место жительства",
        max_length=300,
        help_text="Адрес регистрации или фактического проживания: город, улица, дом, квартира.",
    )
    birth_date = forms.DateField(
        label="Дата рождения",
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        help_text="Как в документе. Хранится в зашифрованном виде.",
        error_messages={"invalid": "Укажите дату рождения, например 21.03.1980."},
    )
    birth_place = forms.CharField(
        label="Место рождения", max_length=200, help_text="Как записано в паспорте, например «г. Свердловск»."
    )
    document_type = forms.ChoiceField(
        label="Документ, удостоверяющий личность",
        choices=DocumentType.choices,
        initial=DocumentType.PASSPORT_RF,
        help_text="Обычно это паспорт. Закон требует его данные в жалобе, чтобы установить, кто её подал.",
    )
    document_series = forms.CharField(
        label="Серия документа",
        max_length=10,
        required=False,
        help_text="Для паспорта РФ — 4 цифры. Хранится в зашифрованном виде, видят только сотрудники вашего филиала.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    document_number = forms.CharField(
        label="Номер документа",
        max_length=20,
        help_text="Для паспорта РФ — 6 цифр. Хранится в зашифрованном виде.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    organization = forms.CharField(
        label="Наименование организации",
        max_length=300,
        required=False,
        help_text="Только если жалобу подаёт юридическое лицо или индивидуальный предприниматель.",
    )
    account = ListedModelChoiceField(
        PersonalAccount,
        label="Номер договора (лицевой счёт)",
        empty_label=None,
        help_text="Лицевой счёт помещения, где было нарушение.",
    )
    premises_address = forms.CharField(
        label="Адрес помещения",
        max_length=300,
        required=False,
        help_text="Куда поставляется электроэнергия. Если оставить пустым, возьмём адрес по выбранному лицевому счёту.",
    )
    violation_start = _datetime_field("Начало нарушения", "Когда пропало напряжение или начались перепады.")
    violation_end = _datetime_field(
        "Конец нарушения", "Когда электроснабжение восстановилось. Не заполняйте, если нарушение продолжается.", False
    )
    ongoing = forms.BooleanField(
        label="Нарушение продолжается",
        required=False,
        help_text="Отметьте, если электроснабжение ещё не восстановилось.",
    )
    phone = forms.CharField(
        label="Телефон",
        max_length=32,
        help_text=f"Для связи по жалобе, например {PHONE_EXAMPLE}.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="E-mail",
        required=False,
        help_text="Нужен, если ответ удобнее получить по e-mail.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Проверьте e-mail: например, ivanov@mail.ru."},
    )
    demands = forms.CharField(
        label="Требования потребителя",
        help_text="Опишите, что произошло и чего вы требуете: например, перерасчёт, устранение причины, возмещение.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    contact_method = forms.ChoiceField(
        label="Предпочтительный способ получения ответа",
        choices=[
            (ContactMethod.PHONE, "SMS на телефон"),
            (ContactMethod.EMAIL, "E-mail"),
            (BY_LETTER, "Письмом по почте на место жительства"),
        ],
        initial=ContactMethod.PHONE,
        widget=forms.RadioSelect,
        help_text="Ответ также будет виден на странице жалобы в личном кабинете. "
        "Если выбрать письмо, о регистрации жалобы и ходе её рассмотрения сообщим по SMS на указанный телефон.",
    )
    files = FilesField(label="Вложения", required=False)

    def __init__(self, *args, user, accounts: list[PersonalAccount], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].set_rows(accounts)  # offered and the only ones taken
        self.fields["account"].label_from_instance = account_label
        for name in self.fields:
            self.fields[name].error_messages.setdefault("required", "Заполните это поле.")
            self.fields[name].error_messages["required"] = "Заполните это поле."
        self.fields["account"].error_messages["invalid_choice"] = "Выберите лицевой счёт из списка."
        self.fields["document_type"].error_messages["invalid_choice"] = "Выберите документ из списка."
        self.fields["contact_method"].error_messages["invalid_choice"] = "Выберите способ из списка."
        limit = settings.KABINET_APPEAL_TEXT_MAX
        demands = self.fields["demands"]
        demands.max_length = limit
        demands.validators.append(MaxLengthValidator(limit, f"Не больше {limit} символов."))
        # set-based: not a write (a dict's update)
        demands.widget.attrs.update({"maxlength": limit, "data-counter": limit})
        files = self.fields["files"]
        files.help_text = "Необязательно: фото, акты, справки. " + files_help()
        # set-based: not a write (a dict's update)
        files.widget.attrs.update({"data-max-files": limits().files, "data-max-file-mb": limits().file_mb})
        if not self.is_bound:
            self.initial.update(prefill(user, accounts))  # set-based: not a write (a dict's update)

    def clean_full_name(self) -> str:
        value = " ".join(self.cleaned_data["full_name"].split())
        if len(value.split()) < 2 or not _NAME.fullmatch(value):
            raise forms.ValidationError("Укажите фамилию, имя и отчество (если есть) буквами, через пробел.")
        return value

    def clean_birth_date(self) -> date:
        value = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if value >= today:
            raise forms.ValidationError("Дата рождения должна быть в прошлом.")
        if value.year < today.year - 120:
            raise forms.ValidationError("Проверьте год рождения.")
        return value

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as error:
            raise forms.ValidationError(f"Укажите российский номер телефона, например {PHONE_EXAMPLE}.") from error

    def clean(self):
        data = super().clean()
        self._check_document(data)
        self._check_period(data)
        if data.get("account") and not data.get("premises_address"):
            data["premises_address"] = data["account"].premises.address
        if data.get("contact_method") == ContactMethod.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", NO_EMAIL)
        return data

    def _check_document(self, data: dict) -> None:
        kind = data.get("document_type")
        series = re.sub(r"\s", "", data.get("document_series", ""))
        number = re.sub(r"\s", "", data.get("document_number", ""))
        if kind == DocumentType.PASSPORT_RF:
            if not _PASSPORT_SERIES.fullmatch(series):
                self.add_error("document_series", "Серия паспорта РФ — 4 цифры, например 65 12.")
            if number and not _PASSPORT_NUMBER.fullmatch(number):
                self.add_error("document_number", "Номер паспорта РФ — 6 цифр.")
        elif kind:
            series = " ".join(data.get("document_series", "").split())
            number = " ".join(data.get("document_number", "").split())
            if series and not _OTHER_DOCUMENT.fullmatch(series):
                self.add_error("document_series", "Только буквы, цифры, пробел и дефис.")
            if number and not _OTHER_DOCUMENT.fullmatch(number):
                self.add_error("document_number", "Только буквы, цифры, пробел и дефис, до 20 знаков.")
        data["document_series"], data["document_number"] = series, number

    def _check_period(self, data: dict) -> None:
        start, end, ongoing = data.get("violation_start"), data.get("violation_end"), data.get("ongoing")
        now = timezone.now()
        if start and start > now:
            self.add_error("violation_start", "Начало нарушения не может быть в будущем.")
        if ongoing and end:
            self.add_error("violation_end", "Либо укажите конец нарушения, либо отметьте «Нарушение продолжается».")
        elif not ongoing and not end and "violation_end" not in self.errors:
            self.add_error("violation_end", "Укажите конец нарушения или отметьте «Нарушение продолжается».")
        elif end and end > now:
            self.add_error("violation_end", "Конец нарушения не может быть в будущем.")
        elif end and start and end < start:
            self.add_error("violation_end", "Конец нарушения не может быть раньше начала.")


def prefill(user, accounts: list[PersonalAccount]) -> dict:
    """What Kabinet already knows: the name, phone and e-mail from the profile, the first
    account (by id, as a queryset's first()) and its premises' address."""
    account = min(accounts, key=lambda a: a.pk, default=None)
    initial = {
        "full_name": f"{user.last_name} {user.first_name}".strip(),
        "phone": user.phone or "",
        "email": user.email or "",
        "contact_method": ContactMethod.EMAIL if user.email else ContactMethod.PHONE,
    }
    if account is not None:
        # set-based: not a write (a dict's update)
        initial.update(account=account.pk, premises_address=account.premises.address)
        initial.setdefault("residence", account.premises.address)
    return initial


# --- the page's fields ------------------------------------------------------------------------
# Its three parts, drawn by portal/appeals/_complaint_fields.html (docs/performance.md step 21).
_FIELDS = "portal/appeals/_complaint_fields.html"


class _AccountForm(forms.Form):
    """The complaint's account alone: its group drawn per request, the rest kept."""

    account = ComplaintForm.base_fields["account"]


# Where a customer's values stand in the fields drawn once, cut there for them to be written in:
# text no label, help or attribute of the form holds, which escaping leaves as it is. In the order
# the fields are drawn; the account's group (its options the customer's) stands between them.
_FULL_NAME, _RESIDENCE, _ACCOUNT, _PREMISES, _PHONE, _EMAIL = (
    f"\x1fcomplaint-{name}\x1f" for name in ("full-name", "residence", "account", "premises", "phone", "email")
)


def complaint_fields(form: ComplaintForm, uploads: list) -> SafeString:
    """A form's fields drawn from itself (a refused one: its errors, the values sent, the files kept)."""
    return mark_safe(render_to_string(_FIELDS, {"form": form, "uploads": uploads}))  # noqa: S308 -- drawn escaped


def unbound_complaint_fields(user, accounts: list[PersonalAccount]) -> SafeString:
    """The unbound form's fields prefilled for the customer (`prefill`), as `complaint_fields`
    would draw them: the fields were drawn once a process with placeholders where the customer's
    values go (`_around`, by whether the profile has an e-mail: the way of answer chosen), the
    account's group is drawn for the customer's accounts, and the values are written in escaped as
    the inputs write them."""
    initial = prefill(user, accounts)
    account = _AccountForm(initial={"account": initial.get("account")})
    account.fields["account"].set_rows(accounts)
    account.fields["account"].label_from_instance = account_label
    values = (
        value_attribute(initial["full_name"]),
        value_attribute(initial.get("residence", "")),
        account["account"].as_field_group(),
        value_attribute(initial.get("premises_address", "")),
        value_attribute(initial["phone"]),
        value_attribute(initial["email"]),
    )
    parts = _around(bool(user.email))
    written = [parts[0]]
    for value, part in zip(values, parts[1:], strict=True):
        written += [value, part]
    return mark_safe("".join(written))  # noqa: S308 -- drawn escaped, values escaped by value_attribute


@cache
def _around(email_known: bool) -> tuple[str, ...]:
    """The unbound form's fields cut where each customer's value goes (`_FULL_NAME`…)."""
    # The way of answer prefilled is the one thing drawn that `prefill` takes from the customer.
    stand_in = SimpleNamespace(last_name="", first_name="", phone="", email="@" if email_known else "")
    form = ComplaintForm(user=stand_in, accounts=[])
    # set-based: not a write (a dict's update)
    form.initial.update(
        full_name=_FULL_NAME, residence=_RESIDENCE, premises_address=_PREMISES, phone=_PHONE, email=_EMAIL
    )
    drawn = render_to_string(_FIELDS, {"form": form, "uploads": []})
    drawn = drawn.replace(form["account"].as_field_group(), _ACCOUNT, 1)
    values = (_FULL_NAME, _RESIDENCE, _PREMISES, _PHONE, _EMAIL)
    full_name, residence, premises, phone, email = map(value_attribute, values)
    return cut(drawn, full_name, residence, _ACCOUNT, premises, phone, email)


@receiver(setting_changed)
def _forget_drawn_fields(**kwargs) -> None:
    _around.cache_clear()  # a test's FORM_RENDERER or templates, the limits the fields announce
