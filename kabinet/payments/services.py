"""Online payments: what the portal, the back office, the API and the periodic task call
(docs/payments.md). States change only in `payments.states`."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
import logging
import re
import zlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from kabinet.billing.models import MonthBalance, PersonalAccount
from kabinet.billing.money import format_rub, is_whole_kopecks, to_kopecks
from kabinet.payments.acquirer import demo_enabled, get_acquirer, yookassa_configured
from kabinet.payments.bodies import payment_body
from kabinet.payments.checks import check_payment, refresh_if_due
from kabinet.payments.creation import create_at_acquirer
from kabinet.payments.errors import AcquirerUnavailable, BadNotification, PaymentRefused
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
# A second press of «Оплатить» (a double click, a reload, «Назад») within this time leads to the
# payment the first one began, not to a second one.
REPEAT_WINDOW = timedelta(minutes=5)
START_LOCK = zlib.crc32(b"payments:start") & 0x7FFFFFFF  # with the account: one start at a time per account


def online_payment_available() -> bool:
    return yookassa_configured() or demo_enabled()


def is_demo() -> bool:
    """The pages then say «Тестовая оплата»: no money moves."""
    return demo_enabled()


def payment_limits() -> tuple[Decimal, Decimal]:
    return settings.KABINET_PAYMENT_MIN, settings.KABINET_PAYMENT_MAX


def suggested_amount(account: PersonalAccount) -> Decimal:
    """The debt, or the latest bill's charges when nothing is owed, within the limits. The
    current month has no charges until billing closes it, so the latest bill is the latest
    month that has some. The two facts are `suggested_amount_columns`, the same read the pages
    make with the account (payments.cards)."""
    facts = PersonalAccount.objects.filter(pk=account.pk).annotate(**suggested_amount_columns())
    closing, accrued = facts.values_list("latest_closing", "latest_accrued").get()
    return amount_to_suggest(closing, accrued)


def amount_to_suggest(closing: Decimal | None, accrued: Decimal | None) -> Decimal:
    """`suggested_amount`'s rule, from the latest month's closing balance (None without one) and
    the latest month's charges above zero (None without any)."""
    amount = Decimal("0")
    if closing is not None and closing > 0:
        amount = closing
    elif closing is not None:
        amount = accrued or amount
    low, high = payment_limits()
    return min(max(to_kopecks(amount), low), high)


def suggested_amount_columns() -> dict[str, Subquery]:
    """`amount_to_suggest`'s two facts as columns of an accounts' statement (`latest_closing`,
    `latest_accrued`): a page that reads the account reads them with it (payments.cards)."""
    balances = MonthBalance.objects.filter(account=OuterRef("pk")).order_by("-period")
    return {
        "latest_closing": Subquery(balances.values("closing")[:1]),
        "latest_accrued": Subquery(balances.filter(accrued__gt=0).values("accrued")[:1]),
    }


def payments_of(user) -> QuerySet[OnlinePayment]:
    """Online payments into the accounts the user holds now (whoever started them)."""
    return OnlinePayment.objects.filter(account__link__user=user).select_related("account")


def in_progress(account: PersonalAccount) -> QuerySet[OnlinePayment]:
    return OnlinePayment.objects.filter(account=account, status__in=OnlinePayment.OPEN)


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
    get_acquirer()  # none configured: refused before anything is written
    fields = {"account": account, "user": user, "amount": amount, "method": method}
    fields |= {"receipt_email": receipt_email, "receipt_phone": receipt_phone}
    with transaction.atomic():  # the request is saved with the row: a second press may send it
        _lock_starts_of(account)
        twin = _begun_just_now(fields)
        if twin is None:
            payment = OnlinePayment.objects.create(**fields)
            url = return_url(payment) if callable(return_url) else return_url
            body = payment_body(payment, url) | ({"save_payment_method": True} if save_method else {})
            payment.create_request = body
            payment.save(update_fields=["create_request"])
    if twin is None:
        return create_at_acquirer(payment, source)
    if twin.status != OnlinePayment.Status.NEW:  # a second press of «Оплатить»: the first one's page
        return twin
    return create_at_acquirer(twin, source)  # the first one got no answer: its request, its key


def _lock_starts_of(account: PersonalAccount) -> None:
    """Two presses at once: the second waits for the first's row (PostgreSQL; SQLite
    serialises writers by itself). Not the account's row, which imports update."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # set-based: not a write (a lock)
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [START_LOCK, account.pk % 2**31])


def _begun_just_now(fields: dict) -> OnlinePayment | None:
    """The same person's payment into the same account, of the same amount, method and
    receipt contact, begun within REPEAT_WINDOW and not finished: `new` (being created, or
    ЮKassa did not answer) or pending with its confirmation page."""
    if fields["user"] is None:
        return None
    recent = OnlinePayment.objects.filter(**fields, created_at__gte=timezone.now() - REPEAT_WINDOW)
    recent = recent.filter(autocharge__isnull=True)  # an autopayment's charge is never a press of «Оплатить»
    S = OnlinePayment.Status
    recent = recent.filter(Q(status=S.NEW) | Q(status=S.PENDING) & ~Q(confirmation_url=""))
    twin = recent.order_by("-created_at").first()
    return twin if twin is not None and twin.create_request else None


def checked_amount(amount) -> Decimal:
    low, high = payment_limits()
    try:
        value = Decimal(str(amount).replace(",", ".").replace(" ", "").replace("\xa0", ""))
    except InvalidOperation:
        raise PaymentRefused("Введите сумму числом, например 1500,00.", "amount") from None
    if not value.is_finite():
        raise PaymentRefused("Введите сумму числом, например 1500,00.", "amount")
    if not is_whole_kopecks(value):
        raise PaymentRefused("Сумма — в рублях и копейках, не больше двух знаков после запятой.", "amount")
    if value < low or value.is_signed():  # "-0" too
        raise PaymentRefused(f"Сумма платежа — не меньше {format_rub(low)}.", "amount")
    if value > high:
        raise PaymentRefused(f"Сумма платежа — не больше {format_rub(high)}.", "amount")
    return to_kopecks(value)  # within the limits and whole kopecks now: nothing is rounded


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
