"""The daily autopayment run (`charge_autopayments`, docs/payments.md «Автоплатёж»): on each
autopayment's day, pay what the account owes now (the latest bill, payments since counted) if
it is within the cap; a reminder the day before, a message after. Safe to run twice, or on two
workers at once: one AutoCharge per autopayment and bill, made under the autopayment's row
lock, and its payment's Idempotence-Key is derived from the autopayment and the bill's month."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from kabinet.billing.balances import latest_bill
from kabinet.billing.models import PersonalAccount
from kabinet.billing.money import format_rub
from kabinet.payments import autopay_notices as notices
from kabinet.payments import states
from kabinet.payments.autopay_models import AutoCharge, AutoPayment
from kabinet.payments.autopay_notices import AGAIN
from kabinet.payments.autopayments import ACCOUNT_REMOVED, settle_setups, stop
from kabinet.payments.bodies import receipt
from kabinet.payments.checks import check_payment
from kabinet.payments.creation import create_at_acquirer
from kabinet.payments.errors import AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent
from kabinet.payments.services import in_progress, payment_limits

logger = logging.getLogger(__name__)
AUTO = PaymentEvent.Source.AUTOPAYMENT
Outcome = AutoCharge.Outcome
# Fixed: the same autopayment and bill give the same payment id (and Idempotence-Key) wherever it runs.
KEYS = uuid.UUID("6f1c3a52-2d0e-4f3b-9a57-9c1e0b7d4a10")
# How many days after its day an autopayment's charge is still made (docs/payments.md).
CATCH_UP_DAYS = 2


@dataclass
class Run:
    """What one run did, for the task's result and the command's output."""

    reminded: int = 0
    charged: int = 0
    over_cap: int = 0
    nothing: int = 0
    already: int = 0
    settled: int = 0
    deferred: int = 0
    failed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"напоминаний {self.reminded}, списаний начато {self.charged}, больше лимита {self.over_cap}, "
            f"нечего списывать {self.nothing}, уже списано {self.already}, отложено {self.deferred}, "
            f"завершено {self.settled}, "
            f"не прошло {len(self.failed)}"
        )


def run(today: date | None = None) -> Run:
    """Everything the day needs: finish what earlier runs began, remind about tomorrow, charge today."""
    today = today or timezone.localdate()
    result = Run()
    result.settled += settle_setups()
    result.settled += settle_charges(result)
    remind(today + timedelta(days=1), result)
    for autopayment_id in due(today).values_list("pk", flat=True):
        charge(autopayment_id, result, today)
    return result


def due(today: date):
    """Active autopayments whose day is today or one of the CATCH_UP_DAYS before it: a charge
    put off (a payment in progress, no reminder yet) or a run that did not happen is made on a
    following day; the bill is charged once whichever day does it (AutoCharge)."""
    days = range(max(1, today.day - CATCH_UP_DAYS), today.day + 1)
    return AutoPayment.objects.filter(status=AutoPayment.Status.ACTIVE, day__in=days)


# --- The day before ---------------------------------------------------------------------------
def remind(on: date, result: Run) -> None:
    """Tell whoever's autopayment charges on `on` what it will do; once per charge day."""
    due_on = AutoPayment.objects.filter(status=AutoPayment.Status.ACTIVE, day=on.day).exclude(reminded_for=on)
    for autopayment in due_on.select_related("account", "user"):
        with transaction.atomic():
            locked = (
                AutoPayment.objects.select_for_update(of=("self",))
                .select_related("account", "user")
                .get(pk=autopayment.pk)
            )
            if locked.status != AutoPayment.Status.ACTIVE or locked.reminded_for == on:
                continue
            bill = latest_bill(locked.account)
            if _plan(locked, bill) in (CHARGE, OVER):
                _remind_locked(locked, bill, on)
                result.reminded += 1
            else:
                locked.reminded_for = on
                locked.save(update_fields=["reminded_for", "updated_at"])


# What a run would do about the latest bill (payments.autocharge._plan).
NOTHING, ALREADY, OVER, CHARGE = "nothing", "already", "over", "charge"


def _plan(autopayment: AutoPayment, bill) -> str:
    """The one rule the reminder and the charge both follow, so a reminder never announces a
    charge that will not be made: nothing for a closed account or less than the minimum
    payment, over the limit above the cap or the company's maximum (either may have changed
    since the cap was chosen), once per bill."""
    if not autopayment.account.is_active or bill is None or bill.owed < payment_limits()[0]:
        return NOTHING
    if autopayment.charges.filter(period=bill.period).exists():
        return ALREADY
    return OVER if bill.owed > limit_of(autopayment) else CHARGE


def limit_of(autopayment: AutoPayment) -> Decimal:
    """The most a charge takes: the customer's cap, within the company's maximum payment."""
    return min(autopayment.cap, payment_limits()[1])


def _remind_locked(locked: AutoPayment, bill, on: date) -> None:
    """Send the reminder and note for which bill and charge day: a bill is charged only once its
    reminder went out on an earlier day (`reminded_for` at most the run's day)."""
    notices.reminder(locked, on, bill.owed, limit_of(locked))
    locked.reminded_for, locked.reminded_period, locked.reminded_at = on, bill.period, timezone.now()
    locked.save(update_fields=["reminded_for", "reminded_period", "reminded_at", "updated_at"])


# --- The day --------------------------------------------------------------------------------
def charge(autopayment_id: int, result: Run, today: date) -> AutoCharge | None:
    """Charge one autopayment for its account's latest bill, at most once per bill."""
    if _unfinished_payments(autopayment_id):
        result.deferred += 1
        return None
    made = _decide(autopayment_id, result, today)
    if made is None or made.payment is None:
        return made
    _send(made)
    settle_charge(made, result)
    return made


def _unfinished_payments(autopayment_id: int) -> bool:
    """The account's payments in progress, asked about first (outside any lock: the acquirer
    may take seconds): one the customer has just paid by hand lowers what is owed; one still
    unfinished puts the charge off to the next run, so the same debt is not paid twice."""
    account_id = AutoPayment.objects.filter(pk=autopayment_id).values_list("account_id", flat=True).first()
    unfinished = False
    for payment in in_progress(PersonalAccount(pk=account_id)).select_related("account"):
        unfinished |= check_payment(payment, AUTO).in_progress
    return unfinished


def _decide(autopayment_id: int, result: Run, today: date) -> AutoCharge | None:
    """Under the autopayment's row lock: nothing, over the cap, or a new payment to send."""
    with transaction.atomic():
        autopayment = (
            AutoPayment.objects.select_for_update(of=("self",)).select_related("account", "user").get(pk=autopayment_id)
        )
        if autopayment.status != AutoPayment.Status.ACTIVE:
            return None
        if not _still_held(autopayment):
            stop(autopayment, AutoPayment.Stop.ACCOUNT_REMOVED, ACCOUNT_REMOVED)
            notices.account_removed(autopayment)
            return None
        if in_progress(autopayment.account).exists():  # begun since the check above
            result.deferred += 1
            return None
        bill = latest_bill(autopayment.account)
        plan = _plan(autopayment, bill)
        if plan == NOTHING:
            result.nothing += 1
            return None
        if plan == ALREADY:
            result.already += 1
            return None
        if plan == CHARGE and not _reminded(autopayment, bill, today):
            _remind_late(autopayment, bill, today, result)
            return None
        try:
            with transaction.atomic():
                return _record(autopayment, bill, result)
        except IntegrityError:  # another worker recorded this bill's charge first (SQLite has no row locks)
            result.already += 1
            return None


def _reminded(autopayment: AutoPayment, bill, today: date) -> bool:
    return autopayment.reminded_period == bill.period and autopayment.reminded_for <= today


def _remind_late(autopayment: AutoPayment, bill, today: date, result: Run) -> None:
    """No reminder about this bill went out the day before (the bill or the day changed, the
    setup was made that day): remind now, charge on the next run. On the last catch-up day
    there is no next run this month: nothing is said, nothing is charged."""
    result.deferred += 1
    if today.day < autopayment.day + CATCH_UP_DAYS:
        _remind_locked(autopayment, bill, today + timedelta(days=1))
        result.reminded += 1


def _record(autopayment: AutoPayment, bill, result: Run) -> AutoCharge:
    if bill.owed > limit_of(autopayment):
        made = AutoCharge.objects.create(
            autopayment=autopayment, period=bill.period, amount=bill.owed, outcome=Outcome.OVER_CAP,
            reported_at=timezone.now(),
        )  # fmt: skip
        notices.over_cap(autopayment, bill.owed, limit_of(autopayment))
        result.over_cap += 1
        return made
    payment = OnlinePayment(
        public_id=uuid.uuid5(KEYS, f"autopayment:{autopayment.pk}:{bill.period:%Y-%m}"),
        account=autopayment.account,
        user=autopayment.user,
        amount=bill.owed,
        method=autopayment.setup_payment.method if autopayment.setup_payment else OnlinePayment.Method.BANK_CARD,
        receipt_email=autopayment.receipt_email,
        receipt_phone=autopayment.receipt_phone,
    )
    # Saved with the row: a request that gets no answer is sent again byte for byte under the
    # same key (payments.creation, by refresh_pending) until ЮKassa answers.
    payment.create_request = charge_body(payment, autopayment.method_id)
    payment.save()
    result.charged += 1
    return AutoCharge.objects.create(
        autopayment=autopayment, period=bill.period, amount=bill.owed, outcome=Outcome.CHARGING, payment=payment
    )


def _still_held(autopayment: AutoPayment) -> bool:
    """The person who saved the card still holds the account: a card is never charged for an
    account its owner removed from the profile."""
    user = autopayment.user
    return user is not None and PersonalAccount.objects.filter(pk=autopayment.account_id, link__user=user).exists()


def charge_body(payment: OnlinePayment, method_id: str) -> dict:
    """ЮKassa's autopayment: a payment with the saved method's id and no confirmation."""
    value = f"{payment.amount:.2f}"
    number = payment.account.number
    return {
        "amount": {"value": value, "currency": "RUB"},
        "capture": True,
        "payment_method_id": method_id,
        "description": f"Автоплатёж по лицевому счёту {number}"[:128],
        "metadata": {"kabinet_payment": str(payment.public_id), "account": number},
        "receipt": receipt(payment, value, f"Оплата услуг по лицевому счёту {number}"),
    }


def _send(made: AutoCharge) -> None:
    """Re-read under the autopayment's row lock, held while the request goes: a customer who
    switched off after the decision (the lock was released in between) is never charged, and
    «Отключить» waits for a request already on its way (seconds at most, the acquirer's timeout)."""
    payment = made.payment
    with transaction.atomic():
        autopayment = AutoPayment.objects.select_for_update().get(pk=made.autopayment_id)
        if autopayment.status != AutoPayment.Status.ACTIVE or not autopayment.method_id:
            _not_sent(made)
            return
        try:
            create_at_acquirer(payment, AUTO)
        except AcquirerUnavailable as exc:
            # No answer: the payment stays `new` and its AutoCharge `charging` — the request may
            # have charged the card. refresh_pending sends it again under the same key until
            # ЮKassa answers; settle_charges then reports the outcome. A request ЮKassa refused
            # created nothing: the payment is cancelled, reported as a failed charge.
            logger.warning("autopayment %s: charge not answered yet: %s", made.autopayment_id, exc.detail)
        except BadNotification as exc:
            logger.error("autopayment %s: the acquirer's answer does not match: %s", made.autopayment_id, exc)


def _not_sent(made: AutoCharge) -> None:
    """Switched off (or stopped) between the decision and the request: nothing goes to the
    acquirer; the payment is cancelled by us and nobody is told (they switched it off)."""
    states.give_up(made.payment, "canceled_by_merchant", AUTO, {"error": "autopayment stopped before sending"})
    # set-based: not shown (an auto-charge's outcome)
    AutoCharge.objects.filter(pk=made.pk).update(outcome=Outcome.NOT_SENT, reported_at=timezone.now())


# --- After ----------------------------------------------------------------------------------
def settle_charges(result: Run | None = None) -> int:
    """Charges whose payment was still pending: ask, and report the ones now final."""
    settled = 0
    for made in AutoCharge.objects.filter(reported_at__isnull=True, payment__isnull=False).select_related("payment"):
        settled += settle_charge(made, result)
    return settled


def settle_charge(made: AutoCharge, result: Run | None = None) -> bool:
    """Tell the customer the outcome once the payment is final; a failure stops the autopayment."""
    payment = OnlinePayment.objects.select_related("account").get(pk=made.payment_id)  # as stored now
    if payment.in_progress:
        payment = check_payment(payment, AUTO)
    if payment.in_progress:
        return False
    with transaction.atomic():
        locked = AutoCharge.objects.select_for_update(of=("self",)).select_related(
            "autopayment__account", "autopayment__user"
        )
        locked = locked.get(pk=made.pk)
        if locked.reported_at is not None:
            return False
        succeeded = payment.status == OnlinePayment.Status.SUCCEEDED
        locked.outcome = Outcome.SUCCEEDED if succeeded else Outcome.FAILED
        locked.reported_at = timezone.now()
        locked.save(update_fields=["outcome", "reported_at"])
        autopayment = locked.autopayment
        if succeeded:
            notices.charged(autopayment, payment.amount)
        else:
            why = payment.failure_message
            stop(autopayment, AutoPayment.Stop.CHARGE_FAILED, f"Списание {_rub(payment)} не прошло. {why} {AGAIN}")
            notices.failed(autopayment, payment.amount, why)
            if result is not None:
                result.failed.append(autopayment.pk)
    return True


def _rub(payment: OnlinePayment) -> str:
    return format_rub(payment.amount)
