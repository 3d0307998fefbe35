"""What the customer is told about an autopayment, by SMS and e-mail to the contacts of the
person who set it up. Sent after commit (notifications.services), so a run that rolls back
tells nobody."""

from datetime import date
from decimal import Decimal

from django.utils.formats import date_format

from kabinet.billing.money import format_rub
from kabinet.core.wording import greeting
from kabinet.notifications.services import send_email, send_sms
from kabinet.payments.autopay_models import AutoPayment

AGAIN = "Оплатите вручную и подключите автоплатёж заново."


def reminder(autopayment: AutoPayment, on: date, owed: Decimal, limit: Decimal) -> None:
    """`limit`: the most the charge takes (the cap, within the company's maximum payment)."""
    when = date_format(on, "d.m.Y")
    number = autopayment.account.number
    if owed > limit:
        text = (
            f"Автоплатёж {when}: к оплате по лицевому счёту {number} {format_rub(owed)}, больше лимита "
            f"{format_rub(limit)}. Эту сумму автоплатёж не спишет: оплатите её вручную."
        )
    else:
        text = (
            f"{when} автоплатёж спишет {format_rub(owed)} по лицевому счёту {number} (сумма к оплате "
            f"на сегодня). {autopayment.method_title}."
        )
    _tell(autopayment, "Завтра автоплатёж", text)


def over_cap(autopayment: AutoPayment, owed: Decimal, limit: Decimal) -> None:
    text = (
        f"Автоплатёж не списал оплату по лицевому счёту {autopayment.account.number}: к оплате {format_rub(owed)}, "
        f"больше лимита {format_rub(limit)}. Оплатите вручную в личном кабинете."
    )
    _tell(autopayment, "Автоплатёж не списан: сумма больше лимита", text)


def charged(autopayment: AutoPayment, amount: Decimal) -> None:
    text = (
        f"Автоплатёж: оплачено {format_rub(amount)} по лицевому счёту {autopayment.account.number}. "
        f"{autopayment.method_title}."
    )
    _tell(autopayment, "Автоплатёж: оплачено", text)


def failed(autopayment: AutoPayment, amount: Decimal, why: str) -> None:
    text = (
        f"Автоплатёж: не удалось списать {format_rub(amount)} по лицевому счёту {autopayment.account.number}. "
        f"{why} Автоплатёж отключён. {AGAIN}"
    )
    _tell(autopayment, "Автоплатёж не прошёл", text)


def account_removed(autopayment: AutoPayment) -> None:
    text = (
        f"Лицевой счёт {autopayment.account.number} удалён из вашего профиля: автоплатёж по нему отключён, "
        f"{autopayment.method_title or 'сохранённая карта'} больше не используется."
    )
    _tell(autopayment, "Автоплатёж отключён", text)


def setup_failed(autopayment: AutoPayment) -> None:
    """The first payment's outcome found by the periodic pass, the customer away from the page."""
    text = f"Автоплатёж по лицевому счёту {autopayment.account.number} не подключён. {autopayment.stop_reason}"
    _tell(autopayment, "Автоплатёж не подключён", text)


def _tell(autopayment: AutoPayment, subject: str, text: str) -> None:
    user = autopayment.user
    if user is None:
        return
    if user.phone:
        send_sms(user.phone, text)
    if user.email:
        send_email(user.email, subject, f"{greeting(user.first_name)}\n\n{text}\n")
