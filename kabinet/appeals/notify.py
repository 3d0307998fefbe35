"""Telling the customer about their appeal, by the channel they preferred, after commit
(the notifications services queue on commit).

A complaint carries its own phone and e-mail, typed by the customer into it (they may differ
from the profile's): its messages go there, without the customer's name or a link that acts
without signing in unless the address is the profile's confirmed one. An answer «письмом по
почте» is the operator's to send; the customer is told by SMS. This module only builds and
sends the texts: what is recorded is the callers'."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kabinet.appeals.models import Appeal, AppealKind, ContactMethod
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
        "Мы ответим вам с результатами проверки до {deadline}. Подробнее: {url}",
    ),
    "answered": ("Ответ на обращение № {number}", "По обращению № {number} дан ответ.{letter} Посмотреть: {url}"),
    "waiting": (
        "Нужны ваши сведения по обращению № {number}",
        "По обращению № {number} нужны ваши сведения или документы. Откройте обращение: {url}",
    ),
}
# Shorter SMS where the e-mail's text would take more than SMS_MAX_PARTS: the network
# company's name (up to 200 characters) and the link (as long as KABINET_PUBLIC_URL) are on
# the complaint's page, like the registration SMS's.
SMS_TEXTS = {
    "complaint_forwarded": (
        "Жалоба № {number} передана {on} на проверку в сетевую организацию. "
        "Мы ответим вам с результатами проверки до {deadline}."
    ),
}
SMS_MAX_PARTS = 2
LETTER_TOO = " Ответ также отправим письмом по почте."


def sms_parts(text: str) -> int:
    """How many parts an SMS takes: 160 characters in one (153 each when split) in GSM's
    Latin alphabet, 70 (67) in UCS-2, which any Cyrillic letter needs."""
    single, each = (160, 153) if text.isascii() else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // each)


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


def of_record(customer, channel: str, address: str) -> bool:
    """Whether the address is the profile's own, confirmed one. A complaint's phone or e-mail
    may be anyone's: messages there carry neither the customer's name nor a link that acts
    without signing in (the answer's «Оцените ответ»)."""
    if channel == ContactMethod.EMAIL:
        return bool(customer.email) and address.strip().lower() == customer.email.strip().lower()
    return bool(customer.phone) and address == customer.phone


def notify_customer(appeal: Appeal, event: str, *, rating_token: str = "", **extra: str) -> None:
    """`rating_token`: an answer's «Оцените ответ» token; its links make the message secret
    (blanked in the log once sent), like every one-time link, and go only to an address of
    record (the answer is rated on its signed-in page otherwise). `extra`: more values the
    event's text names."""
    subject, text = TEXTS[event]
    url = settings.KABINET_PUBLIC_URL + reverse("portal:appeal", kwargs={"number": appeal.number})
    registered = timezone.localtime(appeal.created_at)
    values = {
        "number": appeal.number,
        "deadline": f"{appeal.deadline:%d.%m.%Y}",
        "url": url,
        "time": f"{registered:%d.%m.%Y в %H:%M:%S}",
        "letter": LETTER_TOO if event == "answered" and by_letter(appeal) else "",
        **extra,
    }
    all_appeals = settings.KABINET_PUBLIC_URL + reverse("portal:appeals")
    customer = appeal.customer
    channel, address = recipient(appeal)
    known = of_record(customer, channel, address)
    links = link_urls(rating_token) if rating_token and known else {}
    secret = bool(links)
    if channel == ContactMethod.EMAIL:
        name = customer.first_name if known else ""
        body = f"{greeting(name)}\n\n" + text.format(**values) + _email_rating(links)
        body += f"\n\nВсе ваши обращения: {all_appeals}"
        send_email(address, subject.format(**values), body, secret=secret)
    elif channel == ContactMethod.PHONE:
        # One link, not five: an SMS in Cyrillic is 70 characters a part.
        sms = SMS_TEXTS.get(event, text).format(**values)
        send_sms(address, sms + (f" Оцените ответ: {links[0]}" if links else ""), secret=secret)


def _email_rating(links: dict[int, str]) -> str:
    if not links:
        return ""
    lines = [f"{score} — {SCORES[score]}: {links[score]}" for score in SCORES]
    return (
        "\n\nОцените ответ: выберите оценку по ссылке (вход в кабинет не нужен, "
        f"ссылки действуют {settings.KABINET_RATING_LINK_DAYS} дней).\n" + "\n".join(lines)
    )
