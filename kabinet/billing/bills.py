"""The monthly bill («квитанция») of a personal account: what it says (`bill_data`). The payment
QR code is kabinet/billing/bill_qr.py, the PDF kabinet/billing/bill_pdf.py; stored bills, the
monthly job and e-mailed bills kabinet/billing/bill_jobs.py.

Money is Decimal throughout; amounts come from the database already in kopecks, and totals
are rounded by kabinet.billing.money only."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import hashlib

from kabinet.billing.balances import due_date
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount
from kabinet.billing.money import closing_balance, to_kopecks
from kabinet.billing.periods import month_in_text, month_start, next_month

ZERO = Decimal("0.00")


class NoBill(LookupError):
    """The account has no accruals in that month, so there is no bill for it."""


@dataclass(frozen=True)
class Payee:
    """The region's company details, as printed on the bill and encoded in the QR code."""

    name: str
    inn: str
    kpp: str
    bank_name: str
    bic: str
    corr_account: str
    account: str
    address: str
    phone: str

    @property
    def complete(self) -> bool:
        """Everything the QR code's required block needs."""
        return all((self.name, self.account, self.bank_name, self.bic, self.corr_account))


@dataclass(frozen=True)
class BillLine:
    service: str
    zone: str
    unit: str
    volume: Decimal
    tariff: Decimal
    amount: Decimal
    recalculation: Decimal
    recalculation_reason: str

    @property
    def title(self) -> str:
        return f"{self.service} ({self.zone})" if self.zone else self.service

    @property
    def total(self) -> Decimal:
        return to_kopecks(self.amount + self.recalculation)


@dataclass(frozen=True)
class BillPayment:
    paid_on: date
    amount: Decimal
    channel: str


@dataclass(frozen=True)
class BillData:
    account_number: str
    period: date
    payer_last_name: str
    payer_first_name: str
    address: str
    payee: Payee
    lines: tuple[BillLine, ...]
    opening: Decimal  # debt positive, overpayment negative
    payments: tuple[BillPayment, ...]
    closing: Decimal
    due: date

    @property
    def payer(self) -> str:
        return f"{self.payer_last_name} {self.payer_first_name}".strip()

    @property
    def accrued(self) -> Decimal:
        return to_kopecks(sum((line.amount for line in self.lines), ZERO))

    @property
    def recalculations(self) -> Decimal:
        return to_kopecks(sum((line.recalculation for line in self.lines), ZERO))

    @property
    def total_accrued(self) -> Decimal:
        return to_kopecks(self.accrued + self.recalculations)

    @property
    def paid(self) -> Decimal:
        return to_kopecks(sum((payment.amount for payment in self.payments), ZERO))

    @property
    def to_pay(self) -> Decimal:
        """The amount to pay: the closing balance when it is a debt, else nothing."""
        return max(self.closing, ZERO)

    @property
    def overpaid(self) -> Decimal:
        return max(-self.closing, ZERO)

    @property
    def recalculated_lines(self) -> tuple[BillLine, ...]:
        return tuple(line for line in self.lines if line.recalculation)

    @property
    def period_name(self) -> str:
        """«октябрь 2026»"""
        return month_in_text(self.period)

    @property
    def file_name(self) -> str:
        """`kvitanciya-660100012345-2026-10.pdf`"""
        return f"kvitanciya-{self.account_number}-{self.period:%Y-%m}.pdf"

    def fingerprint(self) -> str:
        """Changes exactly when anything printed on the bill changes: the job skips bills
        whose fingerprint is unchanged."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


def _payee(account: PersonalAccount) -> Payee:
    region = account.region
    return Payee(
        name=region.payee_name,
        inn=region.payee_inn,
        kpp=region.payee_kpp,
        bank_name=region.bank_name,
        bic=region.bank_bic,
        corr_account=region.bank_corr_account,
        account=region.bank_account,
        address=region.company_address,
        phone=region.contact_phone,
    )


def account_holder(account: PersonalAccount):
    """The customer holding the account in the portal, if anyone does (no import of identity:
    the reverse relation of AccountLink is enough)."""
    try:
        return account.link.user
    except PersonalAccount.link.RelatedObjectDoesNotExist:
        return None


def bill_data(account: PersonalAccount, period: date) -> BillData:
    """Everything the bill of `account` for the month `period` says. Raises NoBill when the
    month has no accruals. Three or four queries; pass an account with its premises, region
    and link__user selected to avoid more."""
    period = month_start(period)
    accruals = list(Accrual.objects.filter(account=account, period=period).select_related("service"))
    if not accruals:
        raise NoBill(f"{account.number}: no accruals for {period:%m.%Y}")
    payments = Payment.objects.filter(account=account, paid_on__gte=period, paid_on__lt=next_month(period))
    return _bill(account, period, accruals, list(payments), _balances(account, period))


def bills_data(accounts: list[PersonalAccount], period: date) -> dict[int, BillData]:
    """bill_data of many accounts at once, by account id (accounts without accruals in the
    month are left out): three queries for all of them instead of three for each, and a fourth
    when some accounts' balances of the month have not been rebuilt."""
    period = month_start(period)
    ids = [account.pk for account in accounts]
    accruals, payments, balances = defaultdict(list), defaultdict(list), {}
    for accrual in Accrual.objects.filter(account_id__in=ids, period=period).select_related("service"):
        accruals[accrual.account_id].append(accrual)
    paid = Payment.objects.filter(account_id__in=ids, paid_on__gte=period, paid_on__lt=next_month(period))
    for payment in paid.order_by("account_id", "paid_on", "pk"):
        payments[payment.account_id].append(payment)
    for balance in MonthBalance.objects.filter(account_id__in=ids, period=period):
        balances[balance.account_id] = {period: balance}
    balances |= _latest_balances([pk for pk in accruals if pk not in balances], period)
    return {
        account.pk: _bill(account, period, accruals[account.pk], payments[account.pk], balances.get(account.pk, {}))
        for account in accounts
        if accruals[account.pk]
    }


def _latest_balances(ids: list[int], period: date) -> dict[int, dict[date, MonthBalance]]:
    """For accounts whose balances of the month are not rebuilt yet, the latest one before it:
    one query for all of them."""
    latest = {}
    if ids:
        earlier = MonthBalance.objects.filter(account_id__in=ids, period__lt=period).order_by("account_id", "-period")
        for balance in earlier:
            latest.setdefault(balance.account_id, {balance.period: balance})
    return latest


def _balances(account: PersonalAccount, period: date) -> dict[date, MonthBalance]:
    """The balances of the month and the month before it (or the latest ones before it)."""
    latest = MonthBalance.objects.filter(account=account, period__lte=period).order_by("-period")[:2]
    return {b.period: b for b in latest}


def _bill(account: PersonalAccount, period: date, accruals: list, payments: list, balances: dict) -> BillData:
    lines = tuple(
        BillLine(
            service=a.service.name,
            zone=a.zone,
            unit=a.service.unit,
            volume=a.volume,
            tariff=a.tariff,
            amount=a.amount,
            recalculation=a.recalculation,
            recalculation_reason=a.recalculation_reason,
        )
        for a in sorted(accruals, key=lambda a: (a.service.ordering, a.service.name, a.zone))
    )
    paid = tuple(BillPayment(p.paid_on, p.amount, p.get_channel_display()) for p in payments)
    if period in balances:  # the billing's own figures
        opening, closing = balances[period].opening, balances[period].closing
    else:  # balances not rebuilt yet: carry the last known closing forward
        previous = next(iter(balances.values()), None)
        opening = previous.closing if previous else ZERO
        accrued = sum((line.total for line in lines), ZERO)
        closing = closing_balance(opening, accrued, sum((p.amount for p in paid), ZERO))
    holder = account_holder(account)
    return BillData(
        account_number=account.number,
        period=period,
        payer_last_name=holder.last_name if holder else "",
        payer_first_name=holder.first_name if holder else "",
        address=account.premises.address,
        payee=_payee(account),
        lines=lines,
        opening=to_kopecks(opening),
        payments=paid,
        closing=to_kopecks(closing),
        due=due_date(period, account.region),
    )
