"""«Обращение» written by Python where its templates cost the most (docs/performance.md, step 20):
the appeal's facts, the offer to rate its answer with its form, and its thread — the documents,
the conversation and the history, three loops which portal.fragments keeps drawn. Like the form
fields they are made of (core.form_html), they write the bytes of the templates they replaced:
tests/portal/test_appeal_detail.py holds the page to a copy of those
(tests/portal/old_templates/appeal_detail.html)."""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.template.defaulttags import CsrfTokenNode
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kabinet.appeals.models import Appeal, Attachment, Event, Message
from kabinet.appeals.ratings import OfferShown
from kabinet.appeals.services import Thread
from kabinet.core.form_html import errors_html, field_html, text
from kabinet.core.templatetags.cached_url import cached_reverse, current_app_of, reversing_with
from kabinet.core.templatetags.kabinet import breakable, nbsp
from kabinet.core.templatetags.numeric_dates import date
from kabinet.portal.rating_forms import SCORE_CHOICES, RatingForm

register = template.Library()


def _local(moment, pattern: str) -> str:
    """`{{ moment|date:pattern }}`: in the current time zone, as the template's filter takes it."""
    return date(timezone.template_localtime(moment), pattern)


# --- The facts: per request (a complaint's rows are decrypted for this request only) ----------


@register.simple_tag(takes_context=True)
def appeal_facts(context: template.Context, appeal: Appeal, complaint_rows: list[tuple[str, str]]) -> SafeString:
    """The card's facts, the complaint's forwarding, and the complaint's rows or the appeal's text."""
    contact = "" if complaint_rows else f"<dt>Способ связи</dt><dd>{text(appeal.get_contact_method_display())}</dd>"
    deadline = text(nbsp(date(appeal.deadline, "j E Y")))
    facts = (
        '<dl class="facts">\n'
        f'    <dt>Состояние</dt><dd><span class="badge status-{text(appeal.status)}">'
        f"{text(appeal.get_status_display())}</span></dd>\n"
        f"    <dt>Дата</dt><dd>{text(nbsp(_local(appeal.created_at, 'j E Y, H:i')))}</dd>\n"
        f"    <dt>Лицевой счёт</dt><dd>{text(appeal.account.number)}</dd>\n"
        f"    <dt>Тема</dt><dd>{text(appeal.topic.name)} → {text(appeal.reason.name)}</dd>\n"
        f"    <dt>Срок ответа</dt><dd>до {deadline}</dd>\n"
        f"    {contact}\n  </dl>\n  "
    )
    html = facts + _forwarded(appeal, deadline) + "\n  " + _body(context, appeal, complaint_rows)
    return mark_safe(html)  # noqa: S308 -- escaped by the parts


def _forwarded(appeal: Appeal, deadline: str) -> str:
    """A complaint sent on to the network company: when, to whom, under which number."""
    complaint = getattr(appeal, "complaint", None) if appeal.status == "forwarded" else None  # none: no row
    if complaint is None or not complaint.forwarded_on:
        return ""
    reference = complaint.network_reference
    reference = f", номер в сетевой организации — {text(reference)}" if reference else ""
    return (
        '\n  <div class="alert alert-info" role="note">\n'
        '    <p class="alert-title">Жалоба передана в сетевую организацию</p>\n'
        f"    <p>{text(nbsp(date(complaint.forwarded_on, 'j E Y')))} жалоба передана для проверки в сетевую "
        f"организацию {text(complaint.network_company)}{reference}. Мы ответим вам с результатами проверки "
        f"до {deadline}.</p>\n  </div>\n  "
    )


def _body(context: template.Context, appeal: Appeal, complaint_rows: list[tuple[str, str]]) -> str:
    if not complaint_rows:
        return f'\n  <h2>Текст обращения</h2>\n  <p class="message-body">{linebreaksbr(appeal.text, True)}</p>\n  '
    rows = "".join(
        f"<dt>{text(label)}</dt><dd>{breakable(value) if label == 'E-mail' else linebreaksbr(value, True)}</dd>"
        for label, value in complaint_rows
    )
    pdf = text(cached_reverse("portal:complaint_pdf", (appeal.number,), {}, current_app_of(context)))
    return (
        f'\n  <h2>Жалоба на качество электроснабжения</h2>\n  <dl class="facts">{rows}</dl>\n'
        f'  <p class="actions"><a class="button" href="{pdf}">Скачать жалобу (PDF)</a></p>\n  '
    )


# --- The offer to rate the answer: per request (its form's CSRF token) ------------------------

RATED_LOW = (
    '\n  <p class="alert alert-info"><strong>Не устроил ответ? Вы можете возобновить обращение</strong>: '
    "напишите нам ниже, и оно вернётся в работу.</p>\n  "
)
CLOSED = '\n  <p class="muted">Обращение закрыто, оценку изменить нельзя.</p>\n  '
MAY_CHANGE = '<p class="muted">Оценку можно изменить, пока обращение не закрыто.</p>'
SCORE_HELP = "5 — отлично, 1 — очень плохо. Комментарий, если он есть, уйдёт вместе с оценкой."


@register.simple_tag(takes_context=True)
def rating_offer(
    context: template.Context, appeal: Appeal, offer: OfferShown | None, form: RatingForm | None, can_write: bool
) -> SafeString:
    """«Оцените ответ»: the rating given, the offer to reopen after a low one, and the form while
    the appeal is open — as refused (`form`: the comment and the errors as sent), or else
    unbound with the rating's comment."""
    if offer is None:
        return mark_safe("")
    rated = offer.score is not None
    given = ""
    if rated:
        comment = f" — «{text(offer.comment)}»" if offer.comment else ""
        given = f"<p>Ваша оценка: {offer.score} из 5{comment}.</p>"
    low = RATED_LOW if offer.low and can_write else ""
    shown = _rating_form(context, appeal, offer, form) if offer.may_rate else CLOSED
    return mark_safe(  # noqa: S308 -- escaped by the parts
        '<section class="card" aria-labelledby="rating-title">\n  <h2 id="rating-title">Оцените ответ</h2>\n'
        f"  {given}\n  {low}\n  {shown}\n</section>\n"
    )


def _rating_form(context: template.Context, appeal: Appeal, offer: OfferShown, form: RatingForm | None) -> str:
    action = text(cached_reverse("portal:appeal_rating", (appeal.number,), {}, current_app_of(context)))
    comment = field_html(form["comment"]) if form is not None else _comment_field(offer.comment)
    errors = form["score"].errors if form is not None else ()
    invalid, described, tail = "", "", ""
    if errors:
        score = form["score"]
        invalid, described = " field-invalid", f' aria-describedby="{text(score.auto_id)}_error"'
        tail = errors_html(score, errors)
    buttons = "".join(_score_button(value, label, offer.score) for value, label in SCORE_CHOICES)
    return (
        f'\n  <form method="post" action="{action}" class="form" novalidate>\n'
        f"    {CsrfTokenNode().render(context)}\n    {comment}\n"
        f'    <fieldset class="field{invalid}"{described}>\n      <legend>Оценка</legend>\n'
        f'      <p class="help">{SCORE_HELP}</p>\n      <div class="actions">\n        {buttons}\n      </div>\n'
        f"      {tail}\n    </fieldset>\n  </form>\n  {MAY_CHANGE if offer.score is not None else ''}\n  "
    )


def _score_button(value: int, label: str, rated: int | None) -> str:
    primary, pressed = (" button-primary", ' aria-pressed="true"') if value == rated else ("", "")
    return (
        f'\n        <button type="submit" name="score" value="{value}" class="button{primary}" '
        f'aria-label="{text(label)}"{pressed}>{value}</button>\n        '
    )


def _comment_field(comment: str) -> SafeString:
    """The comment's field of the unbound form, holding the rating's comment. Without one (not rated,
    or rated without a word: most pages) the same for every appeal: drawn once a process."""
    if comment:
        return field_html(RatingForm(initial={"comment": comment})["comment"])
    return _empty_comment_field()


@cache
def _empty_comment_field() -> SafeString:
    return field_html(RatingForm()["comment"])


@receiver(setting_changed)
def _forget_drawn_fields(**kwargs) -> None:
    _empty_comment_field.cache_clear()  # a test's FORM_RENDERER draws it afresh


# --- The thread: drawn once for its rows and kept (portal.fragments.appeal_thread_html) --------


def thread_parts(number: str, thread: Thread) -> tuple[str, str, str]:
    """The appeal's own documents (with their heading), the conversation's section, and the
    history's items, each "" when there is none."""
    reversing = reversing_with()

    def files(attachments: list[Attachment]) -> str:
        items = "".join(_file_item(number, attachment, reversing) for attachment in attachments)
        return f'<ul class="file-list">\n  {items}\n</ul>\n'

    own = f"<h3>Документы</h3>{files(thread.files)}" if thread.files else ""
    conversation = ""
    if thread.conversation:
        articles = "".join(
            _message(message, files(attached) if attached else "") for message, attached in thread.conversation
        )
        conversation = (
            '\n<section aria-labelledby="conversation-title">\n  <h2 id="conversation-title">Переписка</h2>\n'
            f"  {articles}\n</section>\n"
        )
    return own, conversation, "".join(map(_event, thread.history))


def _file_item(number: str, attachment: Attachment, reversing: tuple) -> str:
    url = text(cached_reverse("portal:appeal_file", (number, attachment.pk), {}, None, reversing))
    return (
        f'\n  <li><a href="{url}" download>{text(attachment.name)}</a> '
        f'<span class="muted">({text(filesizeformat(attachment.size))})</span></li>\n  '
    )


def _message(message: Message, files: str) -> str:
    who = "Ответ компании" if message.kind == "reply" else "Вы"
    return (
        f'\n  <article class="card message message-{text(message.kind)}" '
        f'aria-label="{text(message.get_kind_display())} от {text(_local(message.created_at, "d.m.Y H:i"))}">\n'
        f'    <p class="muted">{who} · {text(nbsp(_local(message.created_at, "j E Y, H:i")))}</p>\n'
        f'    <p class="message-body">{linebreaksbr(message.text, True)}</p>\n'
        f"    {files}\n  </article>\n  "
    )


def _event(event: Event) -> str:
    status = f": {text(event.get_to_status_display())}" if event.to_status else ""
    at = timezone.template_localtime(event.at)
    return (
        f'\n    <li><time datetime="{text(at.isoformat())}">{text(date(at, "d.m.Y H:i"))}</time> — '
        f"{text(event.get_kind_display())}{status}</li>\n    "
    )
