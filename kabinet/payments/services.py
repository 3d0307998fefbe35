"""Online payments: what the portal, the back office, the API and the periodic task call
(docs/payments.md). States change only in `payments.states`."""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet

from kabinet.billing.models import MonthBalance, PersonalAccount
from kabinet.billing.money import format_rub, to_kopecks
from kabinet.payments import states
from kabinet.payments.acquirer import demo_enabled, get_acquirer, yookassa_configured
from kabinet.payments.bodies import payment_body
from kabinet.payments.checks import check_payment, refresh_if_due
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification, PaymentRefused
from kabinet.payments.incoming import apply_notification
from kabinet.payments.models import OnlinePayment, PaymentEvent
from kabinet.payments.refresh import refresh_pending
from kabinet.payments.refunds import refund

__all__ = [
    "AcquirerUnavailable",
    "BadNotification",
    "PaymentRefused",
    "apply_notification",
    "check_payment",
    "in_progress",
    "is_demo",
    "online_payment_available",
    "payment_limits",
    "payments_of",
    "refresh_if_due",
    "refresh_pending",
    "refund",
    "start_payment",
    "suggested_amount",
]

logger = logging.getLogger(__name__)
Source = PaymentEvent.Source


def online_payment_available() -> bool:
    return yookassa_configured() or demo_enabled()


def is_demo() -> bool:
    """The pages then say «Тестовая оплата»: no money moves."""
    return demo_enabled()


def payment_limits() -> tuple[Decimal, Decimal]:
    return settings.KABINET_PAYMENT_MIN, settings.KABINET_PAYMENT_MAX


def suggested_amount(account: PersonalAccount) -> Decimal:
    """The debt, or the latest month's charges when nothing is owed, within the limits."""
    latest = MonthBalance.objects.filter(account=account).order_by("-period").first()
    amount = Decimal("0")
    if latest is not None:
        amount = latest.closing if latest.closing > 0 else latest.accrued
    low, high = payment_limits()
    return min(max(to_kopecks(amount), low), high)


def payments_of(user) -> QuerySet[OnlinePayment]:
    """Online payments into the accounts the user holds now (whoever started them)."""
    return OnlinePayment.objects.filter(account__link__user=user).select_related("account")


def in_progress(account: PersonalAccount) -> QuerySet[OnlinePayment]:
    return OnlinePayment.objects.filter(account=account).exclude(status__in=OnlinePayment.FINAL)


def start_payment(
    *,
    user,
    account: PersonalAccount,
    amount: Decimal,
    method: str,
    receipt_email: str = "",
    receipt_phone: str = "",
    return_url: str | Callable[[OnlinePayment], str],
    source: str = Source.CUSTOMER,
    save_method: bool = False,
) -> OnlinePayment:
    """Create the payment at the acquirer, with the receipt (54-ФЗ); pending, with the
    confirmation_url to send the customer to. Every rule is checked here, on the server.
    `return_url` may be a function of the new payment: the return page's URL names the payment,
    whose public_id exists only once it is created here.
    `save_method`: ЮKassa saves the card for autopayments once it is paid (payments.autopayments)."""
    if user is not None and not PersonalAccount.objects.filter(pk=account.pk, link__user=user).exists():
        raise PaymentRefused("Этот лицевой счёт не привязан к вашему профилю.")
    amount = checked_amount(amount)
    if method not in OnlinePayment.Method.values:
        raise PaymentRefused("Выберите способ оплаты.", "method")
    receipt_email, receipt_phone = _receipt_contact(receipt_email, receipt_phone)
    acquirer = get_acquirer()
    payment = OnlinePayment.objects.create(
        account=account,
        user=user,
        amount=amount,
        method=method,
        receipt_email=receipt_email,
        receipt_phone=receipt_phone,
    )
    try:
        url = return_url(payment) if callable(return_url) else return_url
        body = payment_body(payment, url) | ({"save_payment_method": True} if save_method else {})
        obj = acquirer.create_payment(body, str(payment.public_id))
    except AcquirerUnavailable as exc:
        states.give_up(payment, "kabinet_unavailable", source, {"error": exc.detail})
        raise
    except AcquirerRejected as exc:  # our request or credentials are wrong: the customer can only wait
        logger.error("ЮKassa refused payment %s: %s", payment.public_id, exc)
        states.give_up(payment, "kabinet_unavailable", source, {"error": str(exc)})
        raise AcquirerUnavailable(detail=str(exc)) from exc
    return states.apply_payment(payment, obj, source)


def checked_amount(amount) -> Decimal:
    low, high = payment_limits()
    try:
        value = Decimal(str(amount).replace(",", ".").replace(" ", "").replace("\xa0", ""))
    except InvalidOperation:
        raise PaymentRefused("Введите сумму числом, например 1500,00.", "amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise PaymentRefused("Сумма — в рублях и копейках, не больше двух знаков после запятой.", "amount")
    if value < low:
        raise PaymentRefused(f"Сумма платежа — не меньше {format_rub(low)}.", "amount")
    if value > high:
        raise PaymentRefused(f"Сумма платежа — не больше {format_rub(high)}.", "amount")
    return value.quantize(Decimal("0.01"))


def _receipt_contact(email: str, phone: str) -> tuple[str, str]:
    """The e-mail or phone the electronic receipt goes to (54-ФЗ): one is required."""
    email, phone = (email or "").strip(), (phone or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise PaymentRefused("Введите адрес электронной почты, например anna@example.ru.", "receipt") from None
    if phone:
        digits = re.sub(r"\D", "", phone)
        if len(digits) == 11 and digits[0] == "8":
            digits = "7" + digits[1:]
        if not re.fullmatch(r"7\d{10}", digits):
            raise PaymentRefused("Введите номер телефона, например +7 912 345-67-89.", "receipt")
        phone = digits
    if not email and not phone:
        raise PaymentRefused("Укажите e-mail или телефон для электронного чека.", "receipt")
    return email, phone
