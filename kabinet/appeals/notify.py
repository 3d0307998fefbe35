"""Telling the customer about their appeal, by the channel they preferred, after commit
(the notifications services queue on commit).

A complaint carries its own phone and e-mail, typed by the customer into it (they may differ
from the profile's): its messages go there. An answer «письмом по почте» is the operator's
to send; the customer is told by SMS and the back office shows the letter as due."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kabinet.appeals.models import Appeal, AppealKind, ContactMethod, Event
from kabinet.appeals.ratings import SCORES, link_urls
from kabinet.core.wording import greeting
from kabinet.notifications.services import send_email, send_sms

TEXTS = {
    "registered": (
        "Обращение № {number} зарегистрировано",
        "Ваше обращение № {number} зарегистрировано. Срок ответа — до {deadline}.",
    ),
    # Never the complaint's identity data: only its number, the time and the deadline.
    "complaint_registered": (
        "Жалоба № {number} зарегистрирована",
        "Ваша жалоба на качество электроснабжения № {number} зарегистрирована {time}. Срок ответа — до {deadline}.",
    ),
    "complaint_forwarded": (
        "Жалоба № {number} передана в сетевую организацию",
        "Ваша жалоба № {number} передана {on} для проверки в сетевую организацию {company}. "
        "Ответ с результатами проверки дадим мы до {deadline}. Подробнее: {url}",
    ),
    "answered": ("Ответ на обращение № {number}", "По обращению № {number} дан ответ. Посмотреть: {url}"),
    "waiting": (
        "Нужны ваши сведения по обращению № {number}",
        "По обращению № {number} нужны ваши сведения или документы. Откройте обращение: {url}",
    ),
}


def recipient(appeal: Appeal) -> tuple[str, str]:
    """The channel (ContactMethod) and the address the appeal's messages go to; ("", "") when
    there is none. E-mail only to an address of record: an address still waiting for its
    confirmation link may be someone else's, so the phone is used until then. A complaint's
    own e-mail is one: the customer, signed in, typed it into the complaint for its answer."""
    if appeal.kind == AppealKind.COMPLAINT:
        complaint = appeal.complaint
        phone, email = complaint.phone, complaint.email
    else:
        phone, email = appeal.customer.phone, appeal.customer.email
    if appeal.contact_method == ContactMethod.EMAIL and email:
        return ContactMethod.EMAIL, email
    if phone:
        return ContactMethod.PHONE, phone
    return (ContactMethod.EMAIL, email) if email else ("", "")


def by_letter(appeal: Appeal) -> bool:
    return appeal.kind == AppealKind.COMPLAINT and appeal.complaint.answer_by_letter


def notify_customer(appeal: Appeal, event: str, *, rating_token: str = "", **extra: str) -> None:
    """`rating_token`: an answer's «Оцените ответ» token; its links make the message secret
    (blanked in the log once sent), like every one-time link. `extra`: more values the
    event's text names."""
    subject, text = TEXTS[event]
    if event == "answered" and by_letter(appeal):
        text += " Ответ также отправим письмом по почте."
        # The letter is the answer's own channel: the back office shows it due until sent.
        Event.objects.create(appeal=appeal, kind=Event.Kind.LETTER_DUE, details={})
    url = settings.KABINET_PUBLIC_URL + reverse("portal:appeal", kwargs={"number": appeal.number})
    registered = timezone.localtime(appeal.created_at)
    values = {
        "number": appeal.number,
        "deadline": f"{appeal.deadline:%d.%m.%Y}",
        "url": url,
        "time": f"{registered:%d.%m.%Y в %H:%M:%S}",
        **extra,
    }
    all_appeals = settings.KABINET_PUBLIC_URL + reverse("portal:appeals")
    customer = appeal.customer
    links = link_urls(rating_token) if rating_token else {}
    secret = bool(links)
    channel, address = recipient(appeal)
    if channel == ContactMethod.EMAIL:
        body = f"{greeting(customer.first_name)}\n\n" + text.format(**values) + _email_rating(links)
        body += f"\n\nВсе ваши обращения: {all_appeals}"
        send_email(address, subject.format(**values), body, secret=secret)
    elif channel == ContactMethod.PHONE:
        # One link, not five: an SMS in Cyrillic is 70 characters a part.
        send_sms(address, text.format(**values) + (f" Оцените ответ: {links[0]}" if links else ""), secret=secret)


def _email_rating(links: dict[int, str]) -> str:
    if not links:
        return ""
    lines = [f"{score} — {SCORES[score]}: {links[score]}" for score in SCORES]
    return (
        "\n\nОцените ответ: выберите оценку по ссылке (вход в кабинет не нужен, "
        f"ссылки действуют {settings.KABINET_RATING_LINK_DAYS} дней).\n" + "\n".join(lines)
    )
