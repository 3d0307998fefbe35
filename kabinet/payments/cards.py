"""What the customer's account cards show of online payments, for all the cards of a page at
once: one query for the payments in progress, one for the autopayments, however many accounts
(a query per card made the home page grow with every account added)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from kabinet.billing.access import customer_account_by, customer_account_query, customer_accounts
from kabinet.billing.balances import AccountSummary, summaries_from, with_summary_columns
from kabinet.billing.history import history_digest_column
from kabinet.billing.models import PersonalAccount
from kabinet.core.compiled import Compiled, Rows, sentinel
from kabinet.payments.autopay_models import AutoPayment
from kabinet.payments.autopayments import autopayment_of
from kabinet.payments.models import OnlinePayment
from kabinet.payments.services import amount_to_suggest, in_progress, suggested_amount_columns


def not_final(payments: QuerySet[OnlinePayment]) -> QuerySet[OnlinePayment]:
    """The payments still in progress («Платёж в обработке»): neither succeeded nor canceled."""
    return payments.exclude(status__in=OnlinePayment.FINAL)


def in_progress_by_account(accounts: Iterable[PersonalAccount]) -> dict[int, list[OnlinePayment]]:
    """Each account's payments not final yet («Платёж в обработке»), oldest first; every account
    given is a key."""
    found: dict[int, list[OnlinePayment]] = {account.pk: [] for account in accounts}
    if not found:
        return found
    payments = not_final(OnlinePayment.objects.filter(account__in=list(found))).order_by("created_at", "pk")
    for payment in payments:
        found[payment.account_id].append(payment)
    return found


def autopayments_by_account(accounts: Iterable[PersonalAccount], user) -> dict[int, AutoPayment | None]:
    """Each account's latest autopayment that `user` set up (being set up or working, else the
    last one stopped), or None. Only the user's own: another holder of the same account sees
    neither its card nor its terms."""
    found: dict[int, AutoPayment | None] = {account.pk: None for account in accounts}
    if not found:
        return found
    autopayments = (
        AutoPayment.objects.filter(account__in=list(found), user=user)
        .select_related("setup_payment")
        .order_by("-created_at", "-pk")
    )
    for autopayment in autopayments:
        if found[autopayment.account_id] is None:
            found[autopayment.account_id] = autopayment
    return found


def with_card_flags(accounts: QuerySet[PersonalAccount], user) -> QuerySet[PersonalAccount]:
    """The accounts with whether each has payments in progress and an autopayment of `user`:
    most have neither, and then neither is read."""
    open_payments = not_final(OnlinePayment.objects.filter(account=OuterRef("pk")))
    autopayments = AutoPayment.objects.filter(account=OuterRef("pk"), user=user)
    return accounts.annotate(card_in_progress=Exists(open_payments), card_autopayment=Exists(autopayments))


@dataclass(frozen=True)
class Cards:
    """The home page's account cards: what `summaries` says of each account, its payments in
    progress and its autopayment (as `in_progress_by_account` and `autopayments_by_account`)."""

    summaries: list[AccountSummary]
    in_progress: dict[int, list[OnlinePayment]]
    autopayments: dict[int, AutoPayment | None]


# One statement for every customer: compiled once (core.compiled), it cost more than it ran.
_CARDS = Compiled(
    lambda user: with_card_flags(with_summary_columns(customer_accounts(user)), user), sentinel.integer(0)
)


def customer_cards(user, today: date) -> Cards:
    """The cards of the customer's accounts in one query, and one more each for payments in
    progress and autopayments only when an account has some."""
    return cards_of(_CARDS.instances(user.pk), user, today)


def card_rows(user) -> Rows:
    """`customer_cards`' one statement, its rows not made into accounts yet: a page whose cards
    are kept rendered makes them only to draw (portal.fragments.cards_html)."""
    return _CARDS.rows(user.pk)


def has_card_extras(rows: Rows) -> bool:
    """Whether any account of `card_rows` has payments in progress or the user's autopayment:
    what the cards show then is read by two more queries."""
    return any(rows.annotation("card_in_progress")) or any(rows.annotation("card_autopayment"))


def cards_of(accounts: list[PersonalAccount], user, today: date) -> Cards:
    """The cards of accounts read by `card_rows` (`Rows.instances()`)."""
    pending = in_progress_by_account([a for a in accounts if a.card_in_progress])
    autopayments = autopayments_by_account([a for a in accounts if a.card_autopayment], user)
    return Cards(
        summaries_from(accounts, today),
        {account.pk: pending.get(account.pk, []) for account in accounts},
        {account.pk: autopayments.get(account.pk) for account in accounts},
    )


@dataclass(frozen=True)
class AccountCard:
    """An account of the customer's, its payments in progress and the customer's autopayment
    of it: what «Начисления и платежи» shows above the account's history, and the history's
    digest (`billing.history.history_digest_column`, None where the database does not compute it)."""

    account: PersonalAccount
    in_progress: list[OnlinePayment]
    autopayment: AutoPayment | None

    @property
    def history_digest(self) -> str | None:
        return self.account.card_history_digest


# The history's digest in the same statement: a page served from the cache reads nothing else
# of the account (docs/performance.md, step 11).
_ACCOUNT = Compiled(
    lambda user, account: with_card_flags(customer_account_query(user, account), user).annotate(
        card_history_digest=history_digest_column(account)
    ),
    sentinel.integer(0),
    sentinel.integer(1),
)


def customer_account_card(user, account_id: int) -> AccountCard:
    """`billing.access.customer_account` with its card's payments and, on PostgreSQL, its
    history's digest in one query (and one more each for payments only when there are some).
    Anyone else's account is not found."""
    account = customer_account_by(_ACCOUNT, user, account_id)
    pending = in_progress_by_account([account] if account.card_in_progress else [])
    autopayments = autopayments_by_account([account] if account.card_autopayment else [], user)
    return AccountCard(account, pending.get(account.pk, []), autopayments.get(account.pk))


@dataclass(frozen=True)
class PayingAccount:
    """An account of the customer's as «Оплатить» and «Автоплатёж» read it: with the amount to
    suggest (`payments.services.suggested_amount`) and whether it has payments in progress or an
    autopayment of the customer's (`with_card_flags`), so that those are read only when there are
    some (most accounts have neither)."""

    account: PersonalAccount
    user: object

    @property
    def suggested_amount(self) -> Decimal:
        return amount_to_suggest(self.account.latest_closing, self.account.latest_accrued)

    def in_progress(self) -> list[OnlinePayment]:
        """`payments.services.in_progress`: not final is open (every status is one or the other)."""
        return list(in_progress(self.account)) if self.account.card_in_progress else []

    def autopayment(self) -> AutoPayment | None:
        """`payments.autopayments.autopayment_of` the account and the customer."""
        return autopayment_of(self.account, self.user) if self.account.card_autopayment else None


# Every view of «Оплатить» and «Автоплатёж»: compiled once (docs/performance.md, step 16).
_PAYING = Compiled(
    lambda user, account: with_card_flags(customer_account_query(user, account), user).annotate(
        **suggested_amount_columns()
    ),
    sentinel.integer(0),
    sentinel.integer(1),
)


def customer_paying_account(user, account_id: int) -> PayingAccount:
    """`billing.access.customer_account` with what paying it needs, in one query. Anyone else's
    account is not found (Http404)."""
    return PayingAccount(customer_account_by(_PAYING, user, account_id), user)
