"""Personal accounts: the home card's figures (balance, due date, last payment), the months of
charges, and the payments recorded in billing. Reads only; the figures are billing's
(`billing.balances.summaries`, `billing.history.account_history`), as the pages show them."""

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from kabinet.api.access import account_or_404, accounts_of
from kabinet.api.caching import cached_etag, etag
from kabinet.api.ids import ObjectId
from kabinet.api.pagination import Pagination, paginate
from kabinet.api.problems import ApiProblem
from kabinet.api.schemas import problem_responses
from kabinet.billing.balances import AccountSummary, summaries, summaries_from, with_summary_columns
from kabinet.billing.history import Month, account_history
from kabinet.billing.models import Accrual, Payment, PersonalAccount
from kabinet.billing.periods import add_months, month_start, months_between, parse_period
from kabinet.core.compiled import Compiled, sentinel
from kabinet.identity import api_tokens
from kabinet.identity.api_tokens import Principal

router = Router(tags=["Лицевые счета"])

PERIOD_PATTERN = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"  # from year 1000: date() has no year 0
# The charges page shows two years; the API gives the same unless asked for another span.
DEFAULT_MONTHS = 24


def period_text(period: date) -> str:
    """A month as the API writes it: «2026-10»."""
    return f"{period:%Y-%m}"


class RegionOut(Schema):
    code: str
    name: str
    contact_phone: str


class LastPaymentOut(Schema):
    paid_on: date
    amount: Decimal
    channel: str = Field(description="bank, online, post, office")
    channel_name: str


class AccountOut(Schema):
    id: int
    number: str
    status: str = Field(description="active или closed")
    address: str
    region: RegionOut
    balance: Decimal | None = Field(description="Сальдо: долг положительный, переплата отрицательная; null без истории")
    to_pay: Decimal = Field(description="К оплате (долг, не меньше нуля)")
    overpaid: Decimal = Field(description="Переплата (не меньше нуля)")
    balance_as_of: date | None
    due_date: date | None = Field(description="Оплатить до")
    overdue: bool
    last_payment: LastPaymentOut | None


def last_payment_out(payment: Payment | None) -> LastPaymentOut | None:
    if payment is None:
        return None
    return LastPaymentOut(
        paid_on=payment.paid_on,
        amount=payment.amount,
        channel=payment.channel,
        channel_name=payment.get_channel_display(),
    )


def account_out(card: AccountSummary) -> AccountOut:
    account = card.account
    region = account.region
    return AccountOut(
        id=account.pk,
        number=account.number,
        status=account.status,
        address=account.premises.address,
        region=RegionOut(code=region.code, name=region.name, contact_phone=region.contact_phone),
        balance=card.balance,
        to_pay=card.to_pay,
        overpaid=card.overpaid,
        balance_as_of=card.as_of,
        due_date=card.due,
        overdue=card.overdue,
        last_payment=last_payment_out(card.last_payment),
    )


def visible_accounts(request: HttpRequest):
    """The principal's accounts in the home page's order, with what the card prints."""
    return accounts_of(request.auth).select_related("premises", "region").order_by("region__ordering", "number")


def own_account(request: HttpRequest, account_id: ObjectId) -> PersonalAccount:
    """The account if this token may see it (premises and region selected), else 404."""
    account = account_or_404(request.auth, account_id)
    return visible_accounts(request).get(pk=account.pk)


# What account_out and the summary read: the region's bank details and the rest stay in the
# database (fewer columns to compile and to turn into objects on the API's busiest read).
CARD_FIELDS = (
    "number", "status", "region__code", "region__name", "region__contact_phone", "region__payment_due_day",
    "premises__city", "premises__street", "premises__house", "premises__flat",
)  # fmt: skip


def card_query(accounts: QuerySet[PersonalAccount]) -> QuerySet[PersonalAccount]:
    """The list's accounts in the home page's order, the card's columns and summary columns."""
    ordered = accounts.select_related("premises", "region").order_by("region__ordering", "number")
    return with_summary_columns(ordered.only(*CARD_FIELDS))


# The list's query compiled once per process (core.compiled): the ORM spent about a
# millisecond compiling it on each request, PostgreSQL far less answering it (bench/api.py).
_signed_in_cards = Compiled(lambda user_id: card_query(api_tokens.visible_accounts(user_id, None)), sentinel.integer(0))
_token_cards = Compiled(
    lambda user_id, token_id: card_query(api_tokens.visible_accounts(user_id, token_id)),
    sentinel.integer(0),
    sentinel.integer(1),
)


def card_accounts(principal: Principal) -> list[PersonalAccount]:
    scope = api_tokens.scope_of(principal)
    if scope is None:
        return _signed_in_cards.instances(principal.user.pk)
    return _token_cards.instances(principal.user.pk, scope)


@router.get("", response={200: list[AccountOut], **problem_responses(401, 429)}, summary="Лицевые счета")
@cached_etag
def list_accounts(request: HttpRequest):
    cards = summaries_from(card_accounts(request.auth), timezone.localdate())
    return [account_out(card) for card in cards]


@router.get("/{int:account_id}", response={200: AccountOut, **problem_responses(401, 404, 429)}, summary="Лицевой счёт")
@etag
def get_account(request: HttpRequest, account_id: ObjectId):
    account = own_account(request, account_id)
    return account_out(summaries([account], timezone.localdate())[0])


# --- Charges by month ---------------------------------------------------------------------


class ChargeOut(Schema):
    service: str
    service_code: str
    zone: str = Field(description="Т1, Т2, Т3 или пусто")
    unit: str
    volume: Decimal
    tariff: Decimal
    amount: Decimal = Field(description="Начислено")
    recalculation: Decimal = Field(description="Перерасчёт")
    recalculation_reason: str
    total: Decimal


class MonthPaymentOut(Schema):
    paid_on: date
    amount: Decimal
    channel: str
    channel_name: str


class MonthOut(Schema):
    period: str = Field(description="Месяц, ГГГГ-ММ", examples=["2026-10"])
    opening: Decimal = Field(description="Сальдо на начало месяца")
    accrued: Decimal = Field(description="Начислено с перерасчётами")
    recalculations: Decimal = Field(description="Перерасчёты за месяц")
    paid: Decimal = Field(description="Оплачено")
    closing: Decimal = Field(description="Сальдо на конец месяца")
    charges: list[ChargeOut]
    payments: list[MonthPaymentOut]


class ChargesQuery(Schema):
    from_: str | None = Field(
        None, alias="from", pattern=PERIOD_PATTERN, description="С месяца, ГГГГ-ММ (по умолчанию — 24 месяца назад)"
    )
    to: str | None = Field(None, pattern=PERIOD_PATTERN, description="По месяц, ГГГГ-ММ (по умолчанию — последний)")


def charge_out(accrual: Accrual) -> ChargeOut:
    return ChargeOut(
        service=accrual.service.name,
        service_code=accrual.service.code,
        zone=accrual.zone,
        unit=accrual.service.unit,
        volume=accrual.volume,
        tariff=accrual.tariff,
        amount=accrual.amount,
        recalculation=accrual.recalculation,
        recalculation_reason=accrual.recalculation_reason,
        total=accrual.total,
    )


def month_out(month: Month) -> MonthOut:
    balance = month.balance
    return MonthOut(
        period=period_text(month.period),
        opening=balance.opening,
        accrued=balance.accrued,
        recalculations=sum((a.recalculation for a in month.accruals), Decimal("0.00")),
        paid=balance.paid,
        closing=balance.closing,
        charges=[charge_out(a) for a in month.accruals],
        payments=[
            MonthPaymentOut(paid_on=p.paid_on, amount=p.amount, channel=p.channel, channel_name=p.get_channel_display())
            for p in month.payments
        ],
    )


def month_or_422(value: str, field: str) -> date:
    """«2026-10» as a month; a month the calendar lacks («0000-01») is the client's error."""
    try:
        return parse_period(value)
    except ValueError:
        raise ApiProblem(422, errors={field: ["Ожидается месяц в формате ГГГГ-ММ."]}) from None


def charges_span(query: ChargesQuery, today: date) -> tuple[date, date | None]:
    first = month_or_422(query.from_, "from") if query.from_ else add_months(month_start(today), 1 - DEFAULT_MONTHS)
    last = month_or_422(query.to, "to") if query.to else None
    if last is not None and last < first:
        raise ApiProblem(422, errors={"to": ["Месяц «по» не может быть раньше месяца «с»."]})
    return first, last


@router.get(
    "/{int:account_id}/charges",
    response={200: list[MonthOut], **problem_responses(401, 404, 422, 429)},
    summary="Начисления и платежи по месяцам",
    description="Месяцы от новых к старым: сальдо на начало и конец, начисления по услугам, перерасчёты, оплаты.",
)
@etag
def list_charges(request: HttpRequest, account_id: ObjectId, query: Query[ChargesQuery]):
    account = own_account(request, account_id)
    first, last = charges_span(query, timezone.localdate())
    # The history reads the newest months: enough of them to reach back to `first`.
    months = max(1, months_between(first, month_start(timezone.localdate())) + 1)
    history = account_history(account, months=months)
    return [
        month_out(month) for month in history.months if month.period >= first and (last is None or month.period <= last)
    ]


# --- Payments recorded in billing --------------------------------------------------------


class PaymentOut(Schema):
    id: int
    paid_on: date
    amount: Decimal
    channel: str = Field(description="bank, online, post, office")
    channel_name: str

    @staticmethod
    def resolve_channel_name(payment: Payment) -> str:
        return payment.get_channel_display()


@router.get(
    "/{int:account_id}/payments",
    response={200: list[PaymentOut], **problem_responses(401, 404, 422, 429)},
    summary="Платежи",
    description="Платежи, учтённые в начислениях, от новых к старым.",
)
@etag
@paginate(Pagination)
def list_payments(request: HttpRequest, account_id: ObjectId):
    account = own_account(request, account_id)
    return Payment.objects.filter(account=account).order_by("-paid_on", "-pk")
