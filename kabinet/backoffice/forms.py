"""Forms of the operators' back office."""

from django import forms

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


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Новое состояние")

    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, Status(s).label) for s in Status.values if s in allowed]


class ReassignForm(forms.Form):
    assignee = forms.TypedChoiceField(label="Исполнитель", coerce=int)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(r.user_id, str(r.user)) for r in colleagues]
