"""Generated bills: stored PDFs (`store_bill`), the monthly job for all accounts
(`generate_bills`), the 36-month window customers can download from, and «электронная
квитанция» — the bill by e-mail instead of paper (`subscribe`, `send_electronic_bills`).

Every step is safe to re-run: a bill whose content has not changed is not rendered again, a
changed one replaces its PDF, and a month's bill is e-mailed at most once per account."""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
import logging
import multiprocessing

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from kabinet.billing import bill_delivery
from kabinet.billing.access import customer_account_by, customer_account_query
from kabinet.billing.bill_pdf import render_bill_pdf
from kabinet.billing.bills import BillData, NoBill, account_holder, bill_data, bills_data
from kabinet.billing.models import Accrual, Bill, BillSubscription, MonthBalance, PersonalAccount, bill_path
from kabinet.billing.money import format_rub, to_kopecks
from kabinet.billing.periods import add_months, month_start, parse_period, previous_month
from kabinet.core.compiled import Compiled, RowsDigest, sentinel
from kabinet.core.storage import private_storage
from kabinet.core.wording import greeting
from kabinet.notifications.services import Attachment, send_email

log = logging.getLogger(__name__)

# Bills of the current month (once billed) and of the 36 months before it can be downloaded.
WINDOW_MONTHS = 36
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def period_or_previous(value: str | None) -> date:
    """The month a job works on: «YYYY-MM» as given, or the previous month. ValueError for
    anything else."""
    return parse_period(value) if value else previous_month(timezone.localdate())


def bill_window(today: date) -> tuple[date, date]:
    """The first and last month whose bill a customer may download."""
    newest = month_start(today)
    return add_months(newest, -WINDOW_MONTHS), newest


def in_window(period: date, today: date) -> bool:
    oldest, newest = bill_window(today)
    return oldest <= period <= newest


@dataclass(frozen=True)
class BillMonth:
    """A line of the «Квитанции» page."""

    period: date
    closing: Decimal | None

    @property
    def to_pay(self) -> Decimal | None:
        return None if self.closing is None else max(self.closing, Decimal("0.00"))


def month_rows(account_id: int, oldest: date, newest: date) -> QuerySet:
    """(period, closing) of each month from `oldest` to `newest` that has accruals, newest first;
    closing None where the month has no balance yet."""
    closing = MonthBalance.objects.filter(account_id=OuterRef("account_id"), period=OuterRef("period"))
    return (
        Accrual.objects.filter(account_id=account_id, period__range=(oldest, newest))
        .annotate(closing=Subquery(closing.order_by().values("closing")[:1]))
        .values_list("period", "closing")
        .distinct()
        .order_by("-period")
    )


# The «Квитанции» page and the API's bills ask it on every view: one statement, compiled once
# (core.compiled); it was two built by the ORM each time (docs/performance.md, step 16).
_MONTHS = Compiled(month_rows, sentinel.integer(0), sentinel.day(0), sentinel.day(1))


def bill_months(account: PersonalAccount, today: date) -> list[BillMonth]:
    """The months in the window that have a bill (accruals), newest first; one query. The balance
    is written in kopecks again: SQLite hands a subquery's decimal back as 1536.18000000000 (it
    quantizes a column's, not an expression's); PostgreSQL's numeric is already 1536.18."""
    oldest, newest = bill_window(today)
    rows = _MONTHS.rows(account.pk, oldest, newest).values
    return [BillMonth(period, None if closing is None else to_kopecks(closing)) for period, closing in rows]


# --- Storing a bill -------------------------------------------------------------------------
def _accounts():
    return PersonalAccount.objects.select_related("premises", "region", "link__user")


def store_bill(account: PersonalAccount, period: date) -> tuple[Bill, str]:
    """The stored bill of the month, rendered when missing or when what it says has changed.
    Raises NoBill for a month without accruals. Safe when two processes do it at once: the
    unique (account, period) keeps one row, and the loser's file is removed."""
    data = bill_data(account, period)
    return _store(account, data, Bill.objects.filter(account=account, period=data.period).first())


def _store(account: PersonalAccount, data: BillData, existing: Bill | None) -> tuple[Bill, str]:
    """store_bill for data already gathered and the bill row as it was (None when missing)."""
    fingerprint = data.fingerprint()
    if existing and existing.fingerprint == fingerprint and existing.pdf.storage.exists(existing.pdf.name):
        return existing, UNCHANGED
    storage = private_storage()
    name = storage.save(bill_path(None, data.file_name), ContentFile(render_bill_pdf(data)))
    fields = {"pdf": name, "amount": data.to_pay, "fingerprint": fingerprint, "generated_at": timezone.now()}
    try:
        with transaction.atomic():
            # Without a row to lock, the unique constraint catches one made since it was read.
            bill = existing and Bill.objects.select_for_update().filter(pk=existing.pk).first()
            if bill is None:
                return Bill.objects.create(account=account, period=data.period, **fields), CREATED
            if (bill.fingerprint, bill.pdf.name) != (existing.fingerprint, existing.pdf.name):
                # Stored by someone else since it was read (a customer's download while the job
                # rendered its chunk): from data read later than ours, so theirs stays.
                storage.delete(name)  # set-based: not shown (files in storage)
                return bill, UNCHANGED
            old = bill.pdf.name
            for key, value in fields.items():
                setattr(bill, key, value)
            bill.save(update_fields=[*fields])
            # set-based: not shown (files in storage)
            transaction.on_commit(lambda: old and old != name and storage.delete(old))
            return bill, UPDATED
    except IntegrityError:  # created by someone else a moment ago
        storage.delete(name)  # set-based: not shown (files in storage)
        return Bill.objects.get(account=account, period=data.period), UNCHANGED


def customer_bill(account: PersonalAccount, period: date, today: date | None = None) -> Bill:
    """The bill a customer downloads: only within the window; generated on demand. Raises
    NoBill for a month outside the window or without accruals."""
    if not in_window(period, today or timezone.localdate()):
        raise NoBill(f"{period:%m.%Y} is outside the bill window")
    return store_bill(account, period)[0]


@dataclass
class BillRun:
    period: date
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"bills for {self.period:%Y-%m}: {self.created} created, {self.updated} regenerated, "
            f"{self.unchanged} unchanged"
        )

    def __add__(self, other: "BillRun") -> "BillRun":
        return BillRun(
            self.period, self.created + other.created, self.updated + other.updated, self.unchanged + other.unchanged
        )


# A batch is what one worker takes at a time: small enough that a lost worker costs little
# (a re-run of a batch skips what it already stored), large enough that queueing is noise.
BATCH_SIZE = 1000


def _billed_accounts(period: date):
    return Accrual.objects.filter(period=period).values_list("account_id", flat=True).distinct().order_by("account_id")


def bill_batches(period: date, size: int | None = None) -> list[tuple[int, int]]:
    """The month's billed accounts as (first id, last id) ranges of at most `size` accounts,
    in id order, covering each account once: the units workers share the job in. Holds only
    the ranges in memory, not a million ids."""
    size = size or BATCH_SIZE
    batches, first, count, last = [], None, 0, None
    for account_id in _billed_accounts(period).iterator(chunk_size=10_000):
        first = account_id if first is None else first
        last, count = account_id, count + 1
        if count == size:
            batches.append((first, last))
            first, count = None, 0
    if first is not None:
        batches.append((first, last))
    return batches


def generate_bills(period: date, first_id: int | None = None, last_id: int | None = None) -> BillRun:
    """Bills of the month for every account with accruals in it (or those with ids in
    first_id..last_id). Re-runnable: unchanged bills are skipped (no rendering), changed ones
    regenerated, none duplicated."""
    period = month_start(period)
    run = BillRun(period)
    accounts = _accounts().filter(pk__in=_billed_accounts(period)).order_by("pk")
    if first_id is not None:
        accounts = accounts.filter(pk__gte=first_id)
    if last_id is not None:
        accounts = accounts.filter(pk__lte=last_id)
    accounts = accounts.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(accounts, CHUNK_SIZE)):
        for outcome in _store_chunk(chunk, period):
            setattr(run, outcome, getattr(run, outcome) + 1)
    log.info("%s", run)
    return run


# Accounts whose data and stored bills are read together, in a handful of queries: per account
# they cost more than the rest of storing a bill.
CHUNK_SIZE = 100


def _store_chunk(accounts: list[PersonalAccount], period: date) -> list[str]:
    """store_bill for each account with accruals in the month (one whose accruals were removed
    since the job began is left out)."""
    data = bills_data(accounts, period)
    stored = {bill.account_id: bill for bill in Bill.objects.filter(account_id__in=list(data), period=period)}
    return [_store(account, data[account.pk], stored.get(account.pk))[1] for account in accounts if account.pk in data]


def _generate_batch(period: date, batch: tuple[int, int]) -> BillRun:
    return generate_bills(period, *batch)


def generate_bills_in_processes(period: date, processes: int, size: int | None = None) -> BillRun:
    """generate_bills spread over `processes` local processes, batch by batch: the cron twin of
    the Celery fan-out, for a machine without a broker. The processes are forked after the
    parent closes its database connections, so each opens its own."""
    period = month_start(period)
    batches = bill_batches(period, size)
    if processes <= 1 or len(batches) <= 1:
        return sum((generate_bills(period, *batch) for batch in batches), BillRun(period))
    connections.close_all()
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
        runs = pool.map(_generate_batch, [period] * len(batches), batches)
        return sum(runs, BillRun(period))


# --- «Электронная квитанция» ----------------------------------------------------------------
class NoEmail(Exception):
    """The customer has no confirmed e-mail to send the bill to."""


def is_subscribed(account: PersonalAccount) -> bool:
    return BillSubscription.objects.filter(account=account).exists()


def with_subscription_flag(accounts: QuerySet[PersonalAccount]) -> QuerySet[PersonalAccount]:
    """The accounts with `ebill_subscribed`: `is_subscribed` as a column of their statement."""
    return accounts.annotate(ebill_subscribed=Exists(BillSubscription.objects.filter(account=OuterRef("pk"))))


# The «Квитанции» page's account and its e-bill in one statement, compiled once; on PostgreSQL
# with the digest of its months (core.compiled.RowsDigest), so that a page whose months are kept
# drawn (portal.fragments) reads no month (docs/performance.md, step 23). Elsewhere the digest is
# NULL and the window's two months would not reach the SQL: the statement without it.
_SUBSCRIBER = Compiled(
    lambda user, account: with_subscription_flag(customer_account_query(user, account)),
    sentinel.integer(0),
    sentinel.integer(1),
)
_SUBSCRIBER_AND_MONTHS = Compiled(
    lambda user, account, oldest, newest: with_subscription_flag(customer_account_query(user, account)).annotate(
        months_digest=RowsDigest([(_MONTHS, (account, oldest, newest))])
    ),
    sentinel.integer(0),
    sentinel.integer(1),
    sentinel.day(0),
    sentinel.day(1),
)


def customer_account_and_subscription(user, account_id: int, today: date | None = None) -> tuple[PersonalAccount, bool]:
    """`billing.access.customer_account` and whether it has the e-bill (`is_subscribed`), in one
    query, the account with `months_digest`: of the rows `bill_months(account, today)` reads (None
    where the database does not compute it). Anyone else's account is not found (Http404)."""
    if connections["default"].vendor == "postgresql":
        window = bill_window(today or timezone.localdate())
        account = customer_account_by(_SUBSCRIBER_AND_MONTHS, user, account_id, *window)
    else:
        account = customer_account_by(_SUBSCRIBER, user, account_id)
        account.months_digest = None
    return account, account.ebill_subscribed


def subscribe(user, account: PersonalAccount) -> BillSubscription:
    """The account's bill goes to the user's (confirmed) e-mail instead of paper, recorded for
    billing (bill_delivery). The caller has checked that the user holds the account."""
    with transaction.atomic():
        email = bill_delivery.locked_email(user)
        if not email:
            raise NoEmail
        bill_delivery.lock_account(account)
        current = BillSubscription.objects.filter(account=account).first()
        if current is not None and current.user_id == user.pk:
            return current  # already so: no change to tell billing
        subscription, _ = BillSubscription.objects.update_or_create(account=account, defaults={"user": user})
        bill_delivery.record(account, email, bill_delivery.Event.SUBSCRIBED)
    return subscription


def unsubscribe(account: PersonalAccount) -> None:
    """The bill goes on paper again, recorded for billing (bill_delivery)."""
    bill_delivery.end_subscription(account)


@dataclass
class SendRun:
    period: date
    sent: int = 0
    already_sent: int = 0
    no_bill: int = 0
    dropped: int = 0  # subscriptions whose customer no longer holds the account or has no e-mail

    def __str__(self) -> str:
        return (
            f"electronic bills for {self.period:%Y-%m}: {self.sent} sent, {self.already_sent} sent before, "
            f"{self.no_bill} without a bill, {self.dropped} skipped (no holder or e-mail)"
        )


def _email_text(account: PersonalAccount, user, data) -> tuple[str, str]:
    url = settings.KABINET_PUBLIC_URL + reverse("portal:bills", kwargs={"account_id": account.pk})
    due = f"К оплате: {format_rub(data.to_pay)} до {data.due:%d.%m.%Y}." if data.to_pay else "Долга нет."
    if data.overpaid:
        due += f" Переплата: {format_rub(data.overpaid)}."
    subject = f"Квитанция за {data.period_name} — лицевой счёт {account.number}"
    body = (
        f"{greeting(user.first_name)}\n\n"
        f"Во вложении квитанция за {data.period_name} по лицевому счёту {account.number} "
        f"({data.address}).\n{due}\n\n"
        f"Квитанции хранятся в личном кабинете три года:\n{url}\n\n"
        "Вы получаете квитанцию по e-mail вместо бумажной. Отказаться можно там же, на странице «Квитанции»."
    )
    return subject, body


def send_electronic_bills(period: date | None = None) -> SendRun:
    """E-mail the month's bill (the previous month by default) to every subscribed account's
    holder, at most once per account and month: the bill row is claimed (`emailed_at`) in the
    same transaction that queues the message, which goes out after commit."""
    period = month_start(period or previous_month(timezone.localdate()))
    run = SendRun(period)
    subscriptions = BillSubscription.objects.select_related(
        "account__premises", "account__region", "account__link__user"
    ).order_by("pk")
    for subscription in subscriptions.iterator(chunk_size=500):
        account = subscription.account
        holder = account_holder(account)
        if holder is None or holder.pk != subscription.user_id or not holder.email or not holder.is_active:
            run.dropped += 1
            continue
        if Bill.objects.filter(account=account, period=period, emailed_at__isnull=False).exists():
            run.already_sent += 1
            continue
        try:
            bill, _ = store_bill(account, period)
        except NoBill:
            run.no_bill += 1
            continue
        if _email_bill(bill, account, holder):
            run.sent += 1
        else:  # another run claimed it a moment ago
            run.already_sent += 1
    log.info("%s", run)
    return run


@transaction.atomic
def _email_bill(bill: Bill, account: PersonalAccount, holder) -> bool:
    # set-based: not shown (a bill's e-mail fields)
    claimed = Bill.objects.filter(pk=bill.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    data = bill_data(account, bill.period)
    subject, body = _email_text(account, holder, data)
    with bill.pdf.open("rb") as file:
        pdf = file.read()
    message = send_email(holder.email, subject, body, attachment=Attachment(data.file_name, pdf, "application/pdf"))
    Bill.objects.filter(pk=bill.pk).update(email_message=message)  # set-based: not shown (a bill's e-mail fields)
    return True
