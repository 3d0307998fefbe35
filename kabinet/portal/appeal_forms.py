"""Forms of the «Обращения» section (G14–G16)."""

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator

from kabinet.appeals.files import ALLOWED_TEXT
from kabinet.appeals.models import ContactMethod, Reason, Status, Topic

NO_EMAIL = "У вас в профиле нет e-mail. Укажите его, чтобы получить ответ по e-mail, или выберите телефон."


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one input; each is checked by the appeals' file rules in the view,
    which keeps the good ones even when another is rejected."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})

    def clean(self, data, initial=None):
        return list(data) if isinstance(data, (list, tuple)) else ([data] if data else [])


def files_help() -> str:
    return (
        f"{ALLOWED_TEXT}, до {settings.KABINET_APPEAL_MAX_FILES} файлов, "
        f"каждый не больше {settings.KABINET_APPEAL_MAX_FILE_MB} МБ."
    )


def limit_text_and_files(form: forms.Form) -> None:
    """The text's length limit (checked here, announced by the counter in kabinet.js) and the
    files' rules as help, from settings at the time the form is made."""
    limit = settings.KABINET_APPEAL_TEXT_MAX
    text = form.fields["text"]
    text.max_length = limit
    text.validators.append(MaxLengthValidator(limit))
    text.widget.attrs.update({"maxlength": limit, "data-counter": limit})
    form.fields["files"].help_text = files_help()


def reason_choices() -> list:
    """Reasons grouped by topic: with JavaScript off the list still shows which reason
    belongs to which topic; with it on, kabinet.js shows only the chosen topic's group."""
    groups: dict[str, list] = {}
    for reason in Reason.objects.filter(is_active=True, topic__is_active=True).select_related("topic"):
        groups.setdefault(reason.topic.name, []).append((reason.pk, reason.name))
    return [("", "— выберите причину —"), *groups.items()]


class AppealForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, label="Лицевой счёт", empty_label=None)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.filter(is_active=True), label="Тема обращения", empty_label="— выберите тему —"
    )
    reason = forms.TypedChoiceField(label="Причина обращения", coerce=int)
    text = forms.CharField(label="Текст обращения", widget=forms.Textarea(attrs={"rows": 7}))
    files = FilesField(label="Подтверждающие документы", required=False)
    contact_method = forms.ChoiceField(
        label="Предпочтительный способ связи", choices=ContactMethod.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label="E-mail для ответа",
        required=False,
        help_text="Нужен, если вы выбрали связь по e-mail: мы пришлём на него ссылку для подтверждения.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, user, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda a: f"{a.number} — {a.premises.address}"
        self.fields["reason"].choices = reason_choices()
        limit_text_and_files(self)
        self.fields["contact_method"].initial = ContactMethod.PHONE
        if user.email:
            del self.fields["email"]

    def clean(self):
        data = super().clean()
        reason_id, topic = data.get("reason"), data.get("topic")
        if reason_id and topic:
            reason = Reason.objects.filter(pk=reason_id, topic=topic, is_active=True).first()
            if reason is None:
                self.add_error("reason", "Выберите причину из списка для выбранной темы.")
            data["reason"] = reason
        if data.get("contact_method") == ContactMethod.EMAIL and "email" in self.fields and not data.get("email"):
            self.add_error(
                "email",
                "У вас в профиле нет e-mail. Укажите его, чтобы получить ответ по e-mail, или выберите телефон.",
            )
        return data


class MessageForm(forms.Form):
    text = forms.CharField(label="Сообщение", widget=forms.Textarea(attrs={"rows": 4}))
    files = FilesField(label="Документы", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_text_and_files(self)


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label="Состояние", required=False, choices=[("", "Все"), *Status.choices])
