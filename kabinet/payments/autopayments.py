"""Autopayment of a personal account (docs/payments.md, «Автоплатёж»): set it up with a first
payment that saves the card at ЮKassa, see it, change its day and cap, switch it off. The
charges themselves are payments.autocharge.

ЮKassa saves a card only through a payment with `save_payment_method: true` that the customer
confirms (or a zero-amount binding, card data on ЮKassa's page, which needs a separate contract
and API): the first payment here is a real one, the debt or the latest month's charges
(`suggested_amount`), counted to the account like any other. ЮKassa's API has no call that
deletes a saved method: disabling autopayment is the shop's side («прекратить использовать
сохранённый способ оплаты»), so switching off forgets the method's id here, and no code path
can charge it again."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from kabinet.billing.models import PersonalAccount
from kabinet.billing.money import format_rub, is_whole_kopecks
from kabinet.billing.periods import next_month
from kabinet.core.audit import record
from kabinet.core.models import AuditEvent
from kabinet.payments import autopay_notices as notices
from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.autopay_models import AutoCharge, AutoPayment
from kabinet.payments.checks import check_due
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification, PaymentRefused
from kabinet.payments.models import OnlinePayment, PaymentEvent
from kabinet.payments.services import payment_limits, start_payment, suggested_amount

logger = logging.getLogger(__name__)
AUTO = PaymentEvent.Source.AUTOPAYMENT
Status, Stop, Action = AutoPayment.Status, AutoPayment.Stop, AuditEvent.Action
ACCOUNT_REMOVED = "Лицевой счёт удалён из профиля: автоплатёж отключён."


# --- What the pages read ----------------------------------------------------------------------
def autopayment_of(account: PersonalAccount, user) -> AutoPayment | None:
    """The user's autopayment of the account being set up or working, else their last one
    stopped (whose reason the page shows), else None. Only the user's own: an account's new
    holder never sees (or changes) the card and terms of the one before."""
    return (
        AutoPayment.objects.filter(account=account, user=user)
        .select_related("setup_payment")
        .order_by("-created_at", "-pk")
        .first()
    )


def last_charge(autopayment: AutoPayment) -> AutoCharge | None:
    return autopayment.charges.select_related("payment").first()


def next_charge_date(autopayment: AutoPayment, today: date) -> date:
    """The next charge day from today on (today itself when it is the day)."""
    this_month = today.replace(day=autopayment.day)
    return this_month if this_month >= today else next_month(today.replace(day=1)).replace(day=autopayment.day)


def first_payment_amount(account: PersonalAccount) -> Decimal:
    """What the setting-up payment charges: the debt, or the latest month's charges."""
    return suggested_amount(account)


# --- Checks of the form's values --------------------------------------------------------------
@dataclass(frozen=True)
class Terms:
    day: int
    cap: Decimal


def checked_terms(day: int, cap: Decimal) -> Terms:
    """The day (1–28: every month has it) and the cap within the company's payment limits;
    PaymentRefused with the field ("day" or "cap") otherwise."""
    if not 1 <= day <= 28:
        raise PaymentRefused("Выберите день с 1 по 28: такой день есть в каждом месяце.", "day")
    low, high = payment_limits()
    if cap < low:
        raise PaymentRefused(f"Не меньше {format_rub(low)}.", "cap")
    if cap > high:
        raise PaymentRefused(f"Не больше {format_rub(high)}: больше за один платёж принять нельзя.", "cap")
    if not is_whole_kopecks(cap):
        raise PaymentRefused("Сумма — в рублях и копейках, не больше двух знаков после запятой.", "cap")
    return Terms(day, cap)


# --- Setting up -------------------------------------------------------------------------------
def start_setup(*, user, account: PersonalAccount, terms: Terms, return_url: str, request: HttpRequest | None = None):
    """Begin: the autopayment waits (status setup) for its first payment, created at the
    acquirer with `save_payment_method`; the view sends the customer to its confirmation_url.
    An earlier setup the customer never finished is replaced. Raises PaymentRefused (already
    working, no contact for the receipt) or AcquirerUnavailable; then nothing is kept."""
    if not account.is_active:
        raise PaymentRefused("Лицевой счёт закрыт: автоплатёж по нему подключить нельзя.")
    if not user.email and not user.phone:
        raise PaymentRefused("Добавьте в профиле телефон или e-mail: туда придёт чек и сообщения об автоплатеже.")
    first = first_payment_amount(account)
    if first > terms.cap:  # the card would be saved by a payment larger than the customer allows
        raise PaymentRefused(
            f"Первый платёж, который сохраняет карту, — {format_rub(first)}: это больше указанной суммы. "
            f"Укажите не меньше {format_rub(first)} или сначала оплатите долг вручную.",
            "cap",
        )
    autopayment = _new_setup(user, account, terms)
    try:
        payment = start_payment(
            user=user,
            account=account,
            amount=first,
            method=OnlinePayment.Method.BANK_CARD,
            receipt_email=user.email or "",
            receipt_phone="" if user.email else user.phone,
            return_url=return_url,
            source=AUTO,
            save_method=True,
        )
    except (PaymentRefused, AcquirerUnavailable):
        # set-based: not shown (an autopayment's setup)
        autopayment.delete()  # nothing reached the acquirer, or it refused: nothing to keep
        raise
    autopayment.setup_payment = payment
    autopayment.receipt_email, autopayment.receipt_phone = payment.receipt_email, payment.receipt_phone
    autopayment.save(update_fields=["setup_payment", "receipt_email", "receipt_phone", "updated_at"])
    _audit(Action.AUTOPAYMENT_SETUP, autopayment, request=request, user=user, payment=str(payment.public_id))
    return autopayment


def _new_setup(user, account: PersonalAccount, terms: Terms) -> AutoPayment:
    with transaction.atomic():
        live = AutoPayment.objects.select_for_update().filter(account=account, status__in=AutoPayment.LIVE).first()
        if live is not None and live.user_id != user.pk:  # the account's previous holder's
            _stop_locked(live, Stop.ACCOUNT_REMOVED, ACCOUNT_REMOVED)
            notices.account_removed(live)
            live = None
        if live is not None and live.status == Status.ACTIVE:
            raise PaymentRefused("Автоплатёж по этому лицевому счёту уже подключён.")
        if live is not None:  # a setup left unfinished (the customer closed the bank's page)
            _stop_locked(live, Stop.REPLACED, "Начато новое подключение автоплатежа.", user=user)
        try:
            with transaction.atomic():
                return AutoPayment.objects.create(account=account, user=user, day=terms.day, cap=terms.cap)
        except IntegrityError:  # another request set one up at this very moment
            raise PaymentRefused("Автоплатёж по этому лицевому счёту уже подключается.") from None


def settle_setup(autopayment: AutoPayment) -> AutoPayment:
    """Once the first payment is final: active with the saved card, or stopped with what to do.
    Asks the acquirer (the object says whether and which method was saved); when it cannot
    be asked, nothing changes and the next call tries again. At most once in a few seconds per
    payment (check_due): the autopayment page reloaded, or open in many tabs, never floods it."""
    payment = autopayment.setup_payment
    if autopayment.status != Status.SETUP or payment is None or not payment.acquirer_id or not check_due(payment):
        return autopayment
    try:
        obj = get_acquirer().get_payment(payment.acquirer_id)
        payment = states.apply_payment(payment, obj, AUTO)
    except (AcquirerUnavailable, AcquirerRejected, BadNotification) as exc:
        logger.warning("autopayment %s: first payment not checked: %s", autopayment.pk, exc)
        return autopayment
    if payment.status == OnlinePayment.Status.SUCCEEDED:
        return _saved_or_not(autopayment, obj.get("payment_method") or {})
    if payment.status == OnlinePayment.Status.CANCELED:
        return stop(autopayment, Stop.SETUP_FAILED, f"Первый платёж не прошёл. {payment.failure_message}")
    return autopayment


def _saved_or_not(autopayment: AutoPayment, method: dict) -> AutoPayment:
    if not (method.get("saved") and method.get("id")):
        reason = "Платёж прошёл, но банк не разрешил сохранить карту для автоплатежа. Попробуйте другую карту."
        return stop(autopayment, Stop.NOT_SAVED, reason)
    with transaction.atomic():
        locked = AutoPayment.objects.select_for_update().get(pk=autopayment.pk)
        if locked.status != Status.SETUP:
            return locked
        locked.status = Status.ACTIVE
        locked.method_id = str(method["id"])[:64]
        locked.method_title = method_title(method)
        locked.save(update_fields=["status", "method_id", "method_title", "updated_at"])
        _audit(Action.AUTOPAYMENT_ON, locked, user=locked.user, card=locked.method_title)
    return locked


def method_title(method: dict) -> str:
    """«Карта •••• 4242» from ЮKassa's payment_method object; never more of the card."""
    last4 = str((method.get("card") or {}).get("last4", ""))
    if last4.isdigit() and len(last4) == 4:
        return f"Карта •••• {last4}"
    if method.get("type") == "sbp":
        return "Счёт в СБП"
    return "Сохранённый способ оплаты"


def settle_setups() -> int:
    """The periodic pass: setups whose customer never came back to the page. How many changed.
    A setup that failed is told by SMS or e-mail: the customer is not on the page to read it."""
    changed = 0
    for autopayment in AutoPayment.objects.filter(status=Status.SETUP).select_related("setup_payment", "account"):
        settled = settle_setup(autopayment)
        changed += settled.status != Status.SETUP
        if settled.status == Status.STOPPED and settled.stop_code in (Stop.SETUP_FAILED, Stop.NOT_SAVED):
            notices.setup_failed(settled)
    return changed


# --- Changing and switching off ---------------------------------------------------------------
def change(autopayment: AutoPayment, terms: Terms, *, user, request: HttpRequest | None = None) -> AutoPayment:
    with transaction.atomic():
        locked = AutoPayment.objects.select_for_update().get(pk=autopayment.pk)
        if locked.status != Status.ACTIVE:
            raise PaymentRefused("Автоплатёж не подключён: изменить его нельзя.")
        before = {"day": locked.day, "cap": str(locked.cap)}
        locked.day, locked.cap = terms.day, terms.cap
        locked.save(update_fields=["day", "cap", "updated_at"])
        _audit(Action.AUTOPAYMENT_CHANGED, locked, request=request, user=user, before=before)
    return locked


def account_removed(*, user, account: PersonalAccount, **_) -> None:
    """The user removed the account from the profile (identity's `account_removed` signal,
    inside its transaction): their autopayment of it stops, and they are told."""
    for live in AutoPayment.objects.filter(account=account, user=user, status__in=AutoPayment.LIVE):
        if stop(live, Stop.ACCOUNT_REMOVED, ACCOUNT_REMOVED, user=user).stop_code == Stop.ACCOUNT_REMOVED:
            notices.account_removed(live)


def switch_off(autopayment: AutoPayment, *, user, request: HttpRequest | None = None) -> AutoPayment:
    """The customer's «Отключить автоплатёж»: stopped, the saved method's id forgotten."""
    return stop(autopayment, Stop.CUSTOMER, "Автоплатёж отключён.", user=user, request=request)


def stop(
    autopayment: AutoPayment, code: str, reason: str, *, user=None, request: HttpRequest | None = None
) -> AutoPayment:
    with transaction.atomic():
        locked = AutoPayment.objects.select_for_update().get(pk=autopayment.pk)
        if locked.is_live:
            _stop_locked(locked, code, reason, user=user, request=request)
    return locked


def _stop_locked(locked: AutoPayment, code: str, reason: str, *, user=None, request=None) -> None:
    locked.status, locked.stop_code, locked.stop_reason = Status.STOPPED, code, reason[:300]
    # ЮKassa keeps the binding (its API cannot delete it); without the id nothing here can use it.
    locked.method_id = ""
    locked.save(update_fields=["status", "stop_code", "stop_reason", "method_id", "updated_at"])
    action = Action.AUTOPAYMENT_OFF if code == Stop.CUSTOMER else Action.AUTOPAYMENT_STOPPED
    _audit(action, locked, request=request, user=user, reason=code)


def _audit(action: str, autopayment: AutoPayment, *, request=None, user=None, **details) -> None:
    record(
        action,
        request=request,
        user=user,
        identifier=autopayment.account.number,
        autopayment=autopayment.pk,
        status=autopayment.status,
        day=autopayment.day,
        cap=str(autopayment.cap),
        **details,
    )
