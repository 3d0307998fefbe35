"""Forms of the «Обращения» section (G14–G16)."""

from functools import cache

from django import forms
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from kabinet.appeals.form_fields import FilesField, limit_text_and_files
from kabinet.appeals.models import ContactMethod, Reason, Status, Topic
from kabinet.appeals.services import NewAppealFacts
from kabinet.appeals.taxonomy import Taxonomy, digest_now, taxonomy_rows
from kabinet.billing.models import PersonalAccount
from kabinet.portal.forms import ListedModelChoiceField
from kabinet.portal.templatetags.appeal_form import reason_hints

NO_EMAIL = "У вас в профиле нет e-mail. Укажите его, чтобы получить ответ по e-mail, или выберите телефон."


def reason_choices(reasons: list[Reason]) -> list:
    """Reasons grouped by topic: with JavaScript off the list still shows which reason
    belongs to which topic; with it on, kabinet.js shows only the chosen topic's group."""
    groups: dict[str, list] = {}
    for reason in reasons:
        groups.setdefault(reason.topic.name, []).append((reason.pk, reason.name))
    return [("", "— выберите причину —"), *groups.items()]


def account_label(account) -> str:
    return f"{account.number} — {account.premises.address}"


class AppealForm(forms.Form):
    """The accounts, topics and reasons it offers are read by the view (appeals.services'
    compiled reads) and are the only ones it takes."""

    account = ListedModelChoiceField(PersonalAccount, label="Лицевой счёт", empty_label=None)
    topic = ListedModelChoiceField(Topic, label="Тема обращения", empty_label="— выберите тему —")
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

    def __init__(self, *args, email_known: bool, accounts: list[PersonalAccount], taxonomy: Taxonomy, **kwargs):
        """`email_known`: the customer's profile has an e-mail (then the form asks for none)."""
        super().__init__(*args, **kwargs)
        self.taxonomy = taxonomy
        self.fields["account"].set_rows(accounts)
        self.fields["account"].label_from_instance = account_label
        self.fields["topic"].set_rows(taxonomy.topics)
        self.fields["reason"].choices = reason_choices(taxonomy.reasons)
        limit_text_and_files(self)
        self.fields["contact_method"].initial = ContactMethod.PHONE
        if email_known:
            del self.fields["email"]

    def clean(self):
        data = super().clean()
        reason_id, topic = data.get("reason"), data.get("topic")
        if reason_id and topic:
            # One of the reasons offered (active, of an active topic), and of the chosen topic.
            reason = next((r for r in self.taxonomy.reasons if r.pk == reason_id and r.topic_id == topic.pk), None)
            if reason is None:
                self.add_error("reason", "Выберите причину из списка для выбранной темы.")
            data["reason"] = reason
        if data.get("contact_method") == ContactMethod.EMAIL and "email" in self.fields and not data.get("email"):
            self.add_error("email", NO_EMAIL)
        return data


class _AccountForm(forms.Form):
    """«Создать обращение»'s account alone: its group drawn per request, the rest kept."""

    account = AppealForm.base_fields["account"]


# new.html wrote the form's fields one under the other, two spaces in.
_NEW_SEPARATOR = "\n  "


def new_appeal_fields(facts: NewAppealFacts, email_known: bool) -> SafeString:
    """«Создать обращение»'s unbound fields: the customer's accounts' group over the rest of the
    form, which is the same for every customer offered the same taxonomy (`_taxonomy_fields`) and
    costs no form to draw once kept."""
    accounts = _AccountForm()
    accounts.fields["account"].set_rows(facts.accounts)
    accounts.fields["account"].label_from_instance = account_label
    head = accounts["account"].as_field_group()
    return mark_safe(head + _NEW_SEPARATOR + _taxonomy_fields(facts.taxonomy_digest, email_known))  # noqa: S308 -- drawn escaped


def refused_appeal_fields(form: AppealForm, uploads: list) -> SafeString:
    """A refused form's fields drawn from itself: its errors, the values sent, the files kept."""
    return mark_safe(form["account"].as_field_group() + _NEW_SEPARATOR + _after_account(form, uploads))  # noqa: S308 -- drawn escaped


def _after_account(form: AppealForm, uploads: list) -> str:
    """The groups below the account's, as new.html wrote them; the e-mail's only when the form
    asks for it (the line stays, empty, when it does not)."""
    email = form["email"].as_field_group() if "email" in form.fields else None
    parts = [
        form["topic"].as_field_group(),
        form["reason"].as_field_group(),
        reason_hints(form.taxonomy.hints),
        form["text"].as_field_group(),
        render_to_string(_FILES_FIELD, {"form": form, "uploads": uploads}),
        form["contact_method"].as_field_group(),
        "" if email is None else f"<div data-show-when-email>{email}</div>",
    ]
    return _NEW_SEPARATOR.join(parts)


# The unbound form's fields below the account's, for each taxonomy read and whether the customer
# has an e-mail: keyed by PostgreSQL's digest of the taxonomy's rows read with the accounts, or
# elsewhere by the rows themselves, so an admin's edit of a topic or a reason draws afresh on the
# next page. A few at most (each taxonomy twice: with and without the e-mail's field): the
# taxonomy changes rarely.
_DRAWN_FOR_TAXONOMY: dict[tuple, str] = {}
_TAXONOMIES_KEPT = 8


def _taxonomy_fields(digest: str | None, email_known: bool) -> str:
    rows = taxonomy_rows() if digest is None else None
    key = (digest if rows is None else rows.key, email_known)
    drawn = _DRAWN_FOR_TAXONOMY.get(key)
    if drawn is None:
        offered = (rows or taxonomy_rows()).taxonomy()
        drawn = _after_account(AppealForm(email_known=email_known, accounts=[], taxonomy=offered), [])
        # Rows read after the digest: an edit committed in between would be kept under the old
        # digest, and shown again if the edit were undone. Kept only when the digest still holds.
        if digest is None or digest_now() == digest:
            if len(_DRAWN_FOR_TAXONOMY) >= _TAXONOMIES_KEPT:
                _DRAWN_FOR_TAXONOMY.clear()
            _DRAWN_FOR_TAXONOMY[key] = drawn
    return drawn


class MessageForm(forms.Form):
    text = forms.CharField(label="Сообщение", widget=forms.Textarea(attrs={"rows": 4}))
    files = FilesField(label="Документы", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_text_and_files(self)


# The page's message fields: the text's group, then the files' (their template, shared with the
# other appeal forms), as detail.html wrote them one under the other.
_FILES_FIELD = "portal/appeals/_files_field.html"


def message_fields(form: MessageForm | None, uploads: list) -> SafeString:
    """The appeal page's message fields as drawn (`form` None: unbound, as on every GET of the
    page, which builds no form). Unbound and with no files kept they are the same for every appeal
    and customer, and the files' input alone cost a tenth of the page through Django's widget
    templates: drawn once per process, and again after a settings change (the limits they
    announce are settings)."""
    if form is not None and (form.is_bound or uploads):
        return _drawn_message_fields(form, uploads)
    return _unbound_message_fields()


def _drawn_message_fields(form: MessageForm, uploads: list) -> SafeString:
    files = render_to_string(_FILES_FIELD, {"form": form, "uploads": uploads})
    return mark_safe(form["text"].as_field_group() + "\n    " + files)  # noqa: S308 -- both drawn escaped


@cache
def _unbound_message_fields() -> SafeString:
    return _drawn_message_fields(MessageForm(), [])


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label="Состояние", required=False, choices=[("", "Все"), *Status.choices])


_FILTER_CHOICES = frozenset(value for value, _ in StatusFilterForm.base_fields["status"].choices)


def status_filter(data: QueryDict) -> tuple[str, SafeString, StatusFilterForm | None]:
    """«Мои обращения»'s filter: the status chosen ('' for all), the field as drawn, and the form
    when it was needed. A choice of the form's (what it would find valid, as its widget reads
    the last value) is drawn once per process: the same few selects, each cost 60 µs to build
    and draw on every request (docs/performance.md step 9). Anything else goes through the form,
    which says what is wrong (and, in the page's context, puts «Ошибка: » in its title)."""
    if (status := data.get("status", "")) in _FILTER_CHOICES:
        return status, _drawn_filter(status), None
    form = StatusFilterForm(data)
    return (form.cleaned_data["status"] if form.is_valid() else ""), form["status"].as_field_group(), form


@cache  # keyed by the status alone: Kabinet has one language (settings.LANGUAGES)
def _drawn_filter(status: str) -> SafeString:
    return StatusFilterForm({"status": status})["status"].as_field_group()


@receiver(setting_changed)
def _forget_drawn_filters(**kwargs) -> None:
    _drawn_filter.cache_clear()  # a test's FORM_RENDERER or templates draw it afresh
    _unbound_message_fields.cache_clear()  # and the limits the message fields announce
    _DRAWN_FOR_TAXONOMY.clear()  # and «Создать обращение»'s
