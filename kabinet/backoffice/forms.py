"""Forms of the operators' back office."""

from decimal import Decimal

from django import forms

from kabinet.appeals import complaints
from kabinet.appeals.form_fields import FilesField, limit_text_and_files
from kabinet.appeals.models import Status, Topic
from kabinet.billing.models import Region


class StaffLoginForm(forms.Form):
    identifier = forms.CharField(
        label="E-mail или телефон", max_length=254, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Пароль", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


ASSIGNEE_CHOICES = [("", "Все"), ("me", "Мои"), ("none", "Не назначены")]
SORT_CHOICES = [("deadline", "По сроку ответа"), ("-created_at", "Сначала новые")]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label="Состояние", required=False, choices=[("", "Все открытые"), *Status.choices])
    region = forms.ModelChoiceField(label="Регион", required=False, queryset=Region.objects.none(), empty_label="Все")
    topic = forms.ModelChoiceField(label="Тема", required=False, queryset=Topic.objects.all(), empty_label="Все")
    assignee = forms.ChoiceField(label="Исполнитель", required=False, choices=ASSIGNEE_CHOICES)
    overdue = forms.BooleanField(label="Только просроченные", required=False)
    complaints = forms.BooleanField(label="Жалобы на качество", required=False)
    letters = forms.BooleanField(label="Нужно отправить письмо", required=False)
    sort = forms.ChoiceField(label="Порядок", required=False, choices=SORT_CHOICES)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class ReplyForm(forms.Form):
    text = forms.CharField(label="Ответ клиенту", widget=forms.Textarea(attrs={"rows": 6}))
    files = FilesField(label="Файлы к ответу", required=False)
    status = forms.ChoiceField(
        label="После ответа",
        choices=[(Status.ANSWERED, "Дать ответ (обращение решено)"), (Status.WAITING, "Запросить сведения у клиента")],
        initial=Status.ANSWERED,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_text_and_files(self)


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Внутренняя заметка", help_text="Клиент её не увидит.", widget=forms.Textarea(attrs={"rows": 3})
    )
    files = FilesField(label="Файлы к заметке", required=False)

    def __init__(self, *args, **kwargs):
        # Its own ids: the reply form on the same page has fields of the same names.
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
        limit_text_and_files(self)
        self.fields["text"].help_text = "Клиент её не увидит."


CONFIRM_CLOSE = "Клиент ещё не получил ответа: отметьте, чтобы всё равно закрыть обращение."


class StatusForm(forms.Form):
    """The state is chosen every time (no preselected «Закрыто»). With `ask_to_confirm` (the
    operator chose to close an appeal whose customer has no answer) it also holds the
    checkbox «Закрыть без ответа», which kabinet.appeals.operators requires."""

    status = forms.ChoiceField(
        label="Новое состояние",
        error_messages={
            "required": "Выберите состояние.",
            "invalid_choice": "В это состояние обращение сейчас перевести нельзя: выберите другое.",
        },
    )

    def __init__(self, *args, allowed, ask_to_confirm: bool = False, **kwargs):
        # Its own ids: the reply form on the same page has a «status» field too.
        kwargs.setdefault("auto_id", "state_%s")
        super().__init__(*args, **kwargs)
        offered = [(s, Status(s).label) for s in Status.values if s in allowed]
        self.fields["status"].choices = [("", "Выберите состояние"), *offered]
        if ask_to_confirm:
            self.fields["without_answer"] = forms.BooleanField(label="Закрыть без ответа", required=False)

    def refuse_unconfirmed(self, refused: Exception) -> None:
        """Closing was refused for want of «Закрыть без ответа». Beside the checkbox and in the
        error summary (which leads a checkbox's message with no label) it points at the box."""
        if "without_answer" in self.fields:
            self.add_error("without_answer", CONFIRM_CLOSE)
        else:
            self.add_error(None, str(refused))


class ReassignForm(forms.Form):
    assignee = forms.TypedChoiceField(label="Исполнитель", coerce=int)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(r.user_id, str(r.user)) for r in colleagues]


# --- Payments -------------------------------------------------------------------------------
AMOUNT_INVALID = "Введите сумму в рублях, например 1500 или 1500,50."


class RublesField(forms.DecimalField):
    """An amount as people type it: «1 234,56», «1234.56» or «1234»."""

    default_error_messages = {"invalid": AMOUNT_INVALID, "max_decimal_places": AMOUNT_INVALID}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u00a0", "").replace("₽", "").replace(",", ".")
        return super().to_python(value)


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(label="Статус", required=False)
    method = forms.ChoiceField(label="Способ оплаты", required=False)
    date_from = forms.DateField(label="Создан с", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="по", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account_number = forms.CharField(label="Лицевой счёт", required=False, max_length=32)
    amount = RublesField(label="Сумма, ₽", required=False, min_value=0)
    region = forms.ModelChoiceField(label="Регион", required=False, queryset=Region.objects.none(), empty_label="Все")

    def __init__(self, *args, regions, statuses, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["status"].choices = [("", "Все"), *statuses]
        self.fields["method"].choices = [("", "Все"), *methods]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "Дата «по» раньше даты «с»: поменяйте их местами.")
        return data


class RefundForm(forms.Form):
    amount = RublesField(
        label="Сумма возврата",
        min_value=Decimal("0.01"),
        error_messages={"required": "Введите сумму возврата.", "min_value": "Сумма возврата должна быть больше нуля."},
    )
    reason = forms.CharField(
        label="Причина возврата",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Укажите причину возврата: она останется в журнале платежа."},
    )
    # One-time key of this form, the refund's public id: sent twice (a double click, a reload),
    # the form finds the refund its first sending made instead of making a second one.
    key = forms.UUIDField(widget=forms.HiddenInput, required=False)


class ForwardForm(forms.Form):
    """«Передано в сетевую организацию»: when, to whom, and the number it gave."""

    on = forms.DateField(
        label="Дата передачи",
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Укажите дату передачи.", "invalid": "Укажите дату, например 05.11.2026."},
    )
    company = forms.CharField(
        label="Сетевая организация",
        max_length=200,
        error_messages={"required": "Укажите сетевую организацию."},
    )
    reference = forms.CharField(
        label="Номер в сетевой организации",
        max_length=100,
        help_text="Входящий номер или номер заявки, который дала сетевая организация.",
        error_messages={"required": "Укажите номер, который дала сетевая организация."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "forward_%s")
        super().__init__(*args, **kwargs)

    def clean_on(self):
        # The domain's rule, checked here too so that its refusal stands at the date field.
        if refusal := complaints.forwarding_date_refusal(self.cleaned_data["on"]):
            raise forms.ValidationError(refusal)
        return self.cleaned_data["on"]
