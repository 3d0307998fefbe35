"""The back office's side of online payments: which payments an employee sees, how the list is
filtered, what is left to refund and who may refund it.

An employee sees the payments into the accounts of their regions, as they see those regions'
appeals (`appeals.StaffRole`); any other payment is 404 to them. Only a supervisor refunds.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
import uuid

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone

from kabinet.appeals.models import StaffRole
from kabinet.billing.models import Region
from kabinet.billing.money import format_rub
from kabinet.payments import services
from kabinet.payments.errors import PaymentRefused
from kabinet.payments.models import OnlinePayment, Refund
from kabinet.payments.refunds import refunded

ONLY_SUPERVISOR = "Возвращать платежи может только руководитель группы."
MONEY = DecimalField(max_digits=12, decimal_places=2)


@dataclass(frozen=True)
class PaymentFilter:
    """What the list is narrowed to; None (or "") leaves a criterion out."""

    status: str = ""
    method: str = ""
    date_from: date | None = None
    date_to: date | None = None
    account_number: str = ""
    amount: Decimal | None = None
    region: Region | None = None


def _refunded(status_in) -> Coalesce:
    """The sum of a payment's refunds in these states, one subquery a listed row (PostgreSQL
    evaluates it only for the rows of the page, after the LIMIT)."""
    refunds = Refund.objects.filter(payment=OuterRef("pk"), status__in=status_in).order_by()
    total = refunds.values("payment").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


def visible_payments(role: StaffRole) -> QuerySet[OnlinePayment]:
    """The payments into the accounts of the employee's regions, newest first, each with
    `refunded` (the money returned so far)."""
    return (
        OnlinePayment.objects.filter(account__region__in=role.regions.all())
        .select_related("account__region")
        .annotate(refunded=_refunded([Refund.Status.SUCCEEDED]))
        .order_by("-created_at", "-pk")
    )


def filtered(payments: QuerySet[OnlinePayment], wanted: PaymentFilter) -> QuerySet[OnlinePayment]:
    """The filters of the list. Dates are the branches' calendar days (TIME_ZONE), compared as a
    half-open range of instants so that the index on created_at serves them."""
    exact = {
        "status": wanted.status,
        "method": wanted.method,
        "account__number": wanted.account_number.strip(),
        "amount": wanted.amount,
        "account__region": wanted.region,
    }
    payments = payments.filter(**{field: value for field, value in exact.items() if value not in (None, "")})
    if wanted.date_from:
        payments = payments.filter(created_at__gte=_start_of(wanted.date_from))
    if wanted.date_to:
        payments = payments.filter(created_at__lt=_start_of(wanted.date_to + timedelta(days=1)))
    return payments


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def staff_payment(role: StaffRole, public_id: uuid.UUID) -> OnlinePayment:
    """One payment the employee may see; 404 for any other, as for appeals."""
    payment = visible_payments(role).filter(public_id=public_id).first()
    if payment is None:
        raise Http404
    return payment


@dataclass(frozen=True)
class JournalLine:
    at: datetime
    what: str
    change: str
    source: str


def journal(payment: OnlinePayment) -> list[JournalLine]:
    """The payment's events in the employee's words: the states by their Russian names."""
    lines = []
    for event in payment.events.select_related("refund__requested_by"):
        states = Refund.Status if event.refund_id else OnlinePayment.Status
        what = f"Возврат {format_rub(event.refund.amount)}" if event.refund_id else "Платёж"
        change = f"{_state(states, event.old_status)} → {_state(states, event.new_status)}"
        source = event.get_source_display()
        if event.source == event.Source.STAFF and event.refund_id and event.refund.requested_by:
            source = f"{source}: {event.refund.requested_by}"  # who returned the money
        lines.append(JournalLine(event.at, what, change, source))
    return lines


def _state(states, value: str) -> str:
    return states(value).label if value in states.values else value or "—"


def left_to_refund(payment: OnlinePayment) -> Decimal:
    """What may still be returned: a paid payment less its refunds done or under way."""
    if payment.status != OnlinePayment.Status.SUCCEEDED:
        return Decimal("0.00")
    return payment.amount - refunded(payment)


def may_refund(role: StaffRole) -> bool:
    return role.is_supervisor


def refund_by_staff(
    role: StaffRole,
    public_id: uuid.UUID,
    amount: Decimal,
    reason: str,
    *,
    key: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> Refund:
    """A supervisor returns all or part of a payment of their regions (payments.services.refund
    checks the amount and records the reason, the employee, the events and the audit log).
    `key`: the refund form's one-time key; the same form sent again returns the same refund."""
    payment = staff_payment(role, public_id)
    if not may_refund(role):
        raise PaymentRefused(ONLY_SUPERVISOR)
    return services.refund(
        payment=payment, amount=amount, reason=reason, staff_user=role.user, public_id=key, request=request
    )
