"""Telling the customer about their appeal, by the channel they preferred, after commit
(the notifications services queue on commit)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kabinet.appeals.models import Appeal, ContactMethod
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
    "answered": ("Ответ на обращение № {number}", "По обращению № {number} дан ответ. Посмотреть: {url}"),
    "waiting": (
        "Нужны ваши сведения по обращению № {number}",
        "По обращению № {number} нужны ваши сведения или документы. Откройте обращение: {url}",
    ),
}


def notify_customer(appeal: Appeal, event: str, *, rating_token: str = "") -> None:
    """`rating_token`: an answer's «Оцените ответ» token; its links make the message secret
    (blanked in the log once sent), like every one-time link."""
    subject, text = TEXTS[event]
    url = settings.KABINET_PUBLIC_URL + reverse("portal:appeal", kwargs={"number": appeal.number})
    registered = timezone.localtime(appeal.created_at)
    values = {
        "number": appeal.number,
        "deadline": f"{appeal.deadline:%d.%m.%Y}",
        "url": url,
        "time": f"{registered:%d.%m.%Y в %H:%M:%S}",
    }
    all_appeals = settings.KABINET_PUBLIC_URL + reverse("portal:appeals")
    customer = appeal.customer
    links = link_urls(rating_token) if rating_token else {}
    secret = bool(links)
    # E-mail only to an address of record; an address still waiting for its confirmation
    # link may be someone else's, so the phone is used until then.
    if appeal.contact_method == ContactMethod.EMAIL and customer.email:
        body = f"{greeting(customer.first_name)}\n\n" + text.format(**values) + _email_rating(links)
        body += f"\n\nВсе ваши обращения: {all_appeals}"
        send_email(customer.email, subject.format(**values), body, secret=secret)
    elif customer.phone:
        # One link, not five: an SMS in Cyrillic is 70 characters a part.
        send_sms(
            customer.phone, text.format(**values) + (f" Оцените ответ: {links[0]}" if links else ""), secret=secret
        )
    elif customer.email:
        send_email(
            customer.email, subject.format(**values), text.format(**values) + _email_rating(links), secret=secret
        )


def _email_rating(links: dict[int, str]) -> str:
    if not links:
        return ""
    lines = [f"{score} — {SCORES[score]}: {links[score]}" for score in SCORES]
    return (
        "\n\nОцените ответ: выберите оценку по ссылке (вход в кабинет не нужен, "
        f"ссылки действуют {settings.KABINET_RATING_LINK_DAYS} дней).\n" + "\n".join(lines)
    )
