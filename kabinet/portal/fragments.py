"""Parts of pages kept rendered in the cache, keyed by the data they show.

A key holds a digest of the data drawn (`History.fingerprint`, `digest_of`), never a counter
that writers bump: an import, an online payment or an edit in /admin/ changes the data and so
the key, and the next request renders afresh; nothing has to remember to invalidate. A digest of
the code that draws (every template and Python module of the project) is in the key too, so a
release never serves HTML an older release drew."""

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
import hashlib
import logging
from pathlib import Path
from uuid import UUID
import zlib

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.paginator import Page
from django.db.models import Model
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from redis import RedisError

from kabinet.appeals.models import Appeal, Status
from kabinet.appeals.services import appeal_thread
from kabinet.billing import money
from kabinet.billing.bill_jobs import bill_months
from kabinet.billing.history import History, account_history
from kabinet.billing.models import PersonalAccount
from kabinet.billing.periods import month_name
from kabinet.core.templatetags.cached_url import reversing_with
from kabinet.payments.cards import AccountCard, Cards, card_rows, cards_of, has_card_extras
from kabinet.portal.charts import Bar, bar_chart
from kabinet.portal.templatetags.appeal_page import thread_parts
from kabinet.readings.history import meter_histories

logger = logging.getLogger("kabinet.portal")

HISTORY_TEMPLATE = "portal/accounts/_history.html"
ACCOUNT_TEMPLATE = "portal/accounts/_account.html"
CARDS_TEMPLATE = "portal/_cards.html"
APPEALS_TEMPLATE = "portal/appeals/_list.html"
READINGS_HISTORY_TEMPLATE = "portal/readings/_history.html"
BILL_MONTHS_TEMPLATE = "portal/bills/_months.html"
# Long enough for a visit's clicks back and forth, short enough that the fragments of the
# accounts not visited lately leave the cache by themselves (a branch has a million).
SECONDS = 15 * 60
# Two years of months are about 64 KB of HTML, about 6 KB compressed: the cache holds ten times
# the visitors for a fraction of a millisecond to inflate it.
LEVEL = 1


@cache
def _code_digest() -> str:
    """Of every template and Python module of the project (read once a process): what a part
    is drawn with — its templates, the ones they include, tags, filters, charts, the wording of
    money — whatever a release changes."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR) / "kabinet"
    for path in sorted([*root.rglob("*.html"), *root.rglob("*.py")]):
        digest.update(str(path.relative_to(root)).encode())  # set-based: not a write (a hash's update)
        digest.update(path.read_bytes())  # set-based: not a write (a hash's update)
    return digest.hexdigest()[:16]


def digest_of(*data: object) -> str:
    """A digest of everything given, model instances as every value loaded on them (fields,
    annotations) and on the related instances loaded with them (select_related), recursively."""
    seen: set[int] = set()
    return hashlib.sha256(repr([_loaded(value, seen) for value in data]).encode()).hexdigest()


# What stands for itself in the digest: most of the values loaded, checked first for speed.
_PLAIN = frozenset({str, int, bool, float, Decimal, date, datetime, time, UUID, type(None)})


def _loaded(value: object, seen: set[int]) -> object:
    # An instance met again — the account a card's last payment was built with, an autopayment's
    # setup payment pointing back at it (a one-to-one is cached both ways) — is its type and key:
    # the very same object, its values already in the digest where it was first met.
    if isinstance(value, Model):
        if id(value) in seen:
            return (type(value).__name__, value.pk)
        seen.add(id(value))
        # In the order loaded (the fields', then the annotations'): the same for the same read,
        # and a read in another order is only a miss.
        own = [
            (name, v) if type(v) in _PLAIN else (name, _loaded(v, seen))
            for name, v in value.__dict__.items()
            if name[0] != "_"
        ]
        related = [(name, _loaded(v, seen)) for name, v in value._state.fields_cache.items()]
        return (type(value).__name__, own, related)
    if isinstance(value, list | tuple):
        return [_loaded(v, seen) for v in value]
    if isinstance(value, dict):
        return sorted((repr(k), _loaded(v, seen)) for k, v in value.items())
    return value


def kept_html(name: str, digest: str, draw: Callable[[], str]) -> SafeString:
    """What `draw()` renders, kept in the cache for SECONDS under `name`, `digest` (of every
    value the part shows: `digest_of`), what the drawing is written with (`_written_with`) and
    the code's digest. A cache that does not answer (Redis down) costs the drawing, never the
    page: the part is drawn and the failure logged, as the cached session and the footer do."""
    key = f"portal:{name}:{_code_digest()}:{_written_with_digest(_written_with())}:{digest}"
    try:
        packed = django_cache.get(key)
    except (RedisError, OSError):  # the page still opens
        logger.warning("kept part %s not read from the cache", name, exc_info=True)
        packed = None
    if packed is not None:
        return mark_safe(zlib.decompress(packed).decode())  # noqa: S308 -- escaped when it was rendered
    html = draw()
    try:
        django_cache.set(key, zlib.compress(html.encode(), LEVEL), SECONDS)
    except (RedisError, OSError):
        logger.warning("kept part %s not stored in the cache", name, exc_info=True)
    return mark_safe(html)  # noqa: S308 -- the template engine escaped it


def kept_parts(name: str, digest: str, draw: Callable[[], Sequence[str]]) -> list[SafeString]:
    """`kept_html` of several parts of one page kept under one key (one round trip to the cache
    where each part would take one): the parts' lengths on the first line, then the parts, which
    may hold any character."""

    def joined() -> str:
        parts = draw()
        return ",".join(str(len(part)) for part in parts) + "\n" + "".join(parts)

    lengths, _, body = kept_html(name, digest, joined).partition("\n")
    parts, start = [], 0
    for length in map(int, lengths.split(",")):
        parts.append(mark_safe(body[start : start + length]))  # noqa: S308 -- parts of what kept_html keeps escaped
        start += length
    return parts


@lru_cache(maxsize=64)
def _written_with_digest(written: tuple[str, str, str, str]) -> str:
    """`digest_of(_written_with())`, worked out once for each: a few values for a process."""
    return digest_of(written)


def _written_with() -> tuple[str, str, str, str]:
    """What any part's URLs, words and times depend on beyond its data: the URLconf and script
    prefix (`{% url %}`), the language (month names, status labels) and the time zone (`|date`)."""
    urlconf, prefix, language = reversing_with()
    return (str(urlconf or settings.ROOT_URLCONF), prefix, language, get_current_timezone_name())


def account_html(card: AccountCard, pay_online: bool) -> SafeString:
    """«Начисления и платежи» under the payments in progress: the balance card (К оплате or
    Переплата, the autopayment line, «Оплатить») and the history, or the empty state.

    Keyed by the history's rows and the card's data (the account as read with its flags and
    related rows, the customer's autopayment, whether online payment works). On PostgreSQL the
    history's digest comes with the card, in the account's statement (`history_digest_column`),
    so a hit reads no history row at all; elsewhere it is the rows' own (`History.fingerprint`),
    read as before."""
    account, autopayment, digest = card.account, card.autopayment, card.history_digest
    history = None
    if digest is None:
        history = account_history(account)
        digest = history.fingerprint()

    def draw() -> str:
        # On PostgreSQL read after the digest, outside one snapshot: a write between the two is
        # drawn under the digest before it, and the next request, under the new digest, draws
        # again; the old key is asked for again only if the rows return to what they were.
        drawn = history if history is not None else account_history(account)
        context = {
            "account": account,
            "history": drawn,
            "history_html": history_html(account, drawn, digest) if drawn.latest else "",
            "autopayments": {account.pk: autopayment},  # for portal_autopayment
            "pay_online": pay_online,
        }
        return render_to_string(ACCOUNT_TEMPLATE, context)

    drawn_with = digest_of(account, autopayment, pay_online)
    return kept_html("account", f"{account.pk}:{digest}:{drawn_with}", draw)


def history_html(account: PersonalAccount, history: History, digest: str | None = None) -> SafeString:
    """«Начисления и платежи» below the balance: the charts, their table and the months, kept
    under `digest` (of the history's rows; `history.fingerprint()` if not given). Kept apart from
    the card around them: a card's change (an autopayment set up) draws them again no more."""

    def draw() -> str:
        return render_to_string(HISTORY_TEMPLATE, _history_context(history))

    return kept_html("history", f"{account.pk}:{digest or history.fingerprint()}", draw)


def readings_history_html(account: PersonalAccount) -> SafeString:
    """«История показаний» under its tabs: every meter's table of readings, or the empty states,
    and the button to send readings (its URL is the account's, in the key). On PostgreSQL the
    digest of the rows comes with the account (`customer_history_account`), so a hit reads no
    meter or reading; elsewhere the rows are read and digested here."""
    digest, histories = account.readings_digest, None
    if digest is None:
        histories = meter_histories(account)
        digest = digest_of([(history.meter, [row.reading for row in history.rows]) for history in histories])

    def draw() -> str:
        # Read after the digest on PostgreSQL, as the charges page's history is (account_html).
        drawn = histories if histories is not None else meter_histories(account)
        return render_to_string(READINGS_HISTORY_TEMPLATE, {"account": account, "histories": drawn})

    return kept_html("readings_history", f"{account.pk}:{digest}", draw)


def bill_months_html(account: PersonalAccount, today: date) -> SafeString:
    """«Квитанции по месяцам»: the months of the window with their balances and links, or the empty
    state. On PostgreSQL the digest of the months' rows comes with the account
    (`bill_jobs.customer_account_and_subscription`), so a hit reads no month; elsewhere they are
    read and digested here. Nothing of the customer's is drawn: the account's months only."""
    digest, months = account.months_digest, None
    if digest is None:
        months = bill_months(account, today)
        digest = digest_of([(month.period, month.closing) for month in months])

    def draw() -> str:
        # Read after the digest on PostgreSQL, as the charges page's history is (account_html).
        drawn = months if months is not None else bill_months(account, today)
        return render_to_string(BILL_MONTHS_TEMPLATE, {"account": account, "months": drawn})

    return kept_html("bill_months", f"{account.pk}:{digest}", draw)


def _history_context(history: History) -> dict:
    oldest_first = list(reversed(history.months))
    balance_chart = bar_chart(
        [Bar(f"{m.period:%m.%y}", f"{month_name(m.period)}: {money.format_rub(m.balance.closing)}", m.balance.closing)
         for m in oldest_first],
        chart_id="balance-chart",
        title="Сальдо на конец месяца (долг — вверх, переплата — вниз)",
        unit="₽",
    )  # fmt: skip
    unit = history.consumption[0][1] if history.consumption else ""
    consumption_chart = bar_chart(
        [Bar(f"{p:%m.%y}", f"{month_name(p)}: {v:.0f} {u}", v) for p, u, v in history.consumption],
        chart_id="consumption-chart",
        title=f"Потребление электроэнергии, {unit}",
        unit=unit,
    )
    return {
        "history": history,
        "oldest_first": oldest_first,
        "balance_chart": balance_chart,
        "consumption_chart": consumption_chart,
        "consumption_unit": unit,
    }


def cards_html(user, today: date, pay_online: bool) -> SafeString:
    """The home page's account cards, kept per customer.

    Most customers have no payment in progress and no autopayment: their cards show only the
    cards' statement's own rows (each account with its premises, region and summary columns),
    drawn for a day (as of, due, overdue), so those rows, the day and whether online payment
    works are the key, and a hit makes no account of them (docs/performance.md, step 8).
    Otherwise the digest holds every value shown, as read by the two more queries: each summary
    (balance, dates, last payment), the payments in progress, the autopayment with its setup
    payment."""
    rows = card_rows(user)
    if not has_card_extras(rows):
        # The customer's id too: what one customer was shown is never served to another, not
        # even for an account passed on from one holder to the next.
        key = f"{user.pk}:rows:{digest_of(pay_online, today, rows.values)}"
        return kept_html("cards", key, lambda: _draw_cards(cards_of(rows.instances(), user, today), pay_online))
    cards = cards_of(rows.instances(), user, today)
    shown = [
        (s.account, s.balance, s.as_of, s.due, s.last_payment, s.today,
         cards.in_progress[s.account.pk], cards.autopayments[s.account.pk])
        for s in cards.summaries
    ]  # fmt: skip
    return kept_html("cards", f"{user.pk}:{digest_of(pay_online, shown)}", lambda: _draw_cards(cards, pay_online))


def _draw_cards(cards: Cards, pay_online: bool) -> str:
    context = {
        "cards": [(s, cards.in_progress[s.account.pk]) for s in cards.summaries],
        "autopayments": cards.autopayments,
        "pay_online": pay_online,
    }
    return render_to_string(CARDS_TEMPLATE, context)


def appeal_list_html(customer, page: Page, status: str, query: str) -> SafeString:
    """«Мои обращения» below the status filter: the page's rows and its pages, or the empty
    state. Keyed by what each row shows (`appeal_row`), the page's place among the pages, the
    filter its links and empty state show."""
    rows = list(page.object_list)  # a queryset's page (past the end) evaluated once, kept for the drawing
    label = Status(status).label if status else ""
    paginator = page.paginator
    shown = digest_of(
        [appeal_row(appeal) for appeal in rows],
        [page.number, paginator.num_pages, paginator.count, page.has_previous(), page.has_next()],
        [status, label, query],
    )
    context = {"page": page, "status": status, "status_label": label, "query": query}

    def draw() -> str:
        return render_to_string(APPEALS_TEMPLATE, context)

    return kept_html("appeals", f"{customer.pk}:{shown}", draw)


def appeal_row(appeal: Appeal) -> tuple:
    """The values of an appeal its row in the list shows, and only they: digesting every value
    loaded (the text, the account selected with it) cost two thirds of drawing the rows
    (docs/performance.md step 6d). A test changes every other loaded value and finds the
    drawing the same (tests/portal/test_appeals_cache.py)."""
    return (
        appeal.pk,
        appeal.number,
        appeal.created_at,
        appeal.topic.name,
        appeal.reason.name,
        appeal.status,
        appeal.deadline,
    )


def appeal_thread_html(appeal: Appeal) -> list[SafeString]:
    """«Обращение»'s documents, conversation and history, drawn (portal.templatetags.appeal_page)
    and kept together: the page writes them in three places, between parts drawn per request (the
    complaint's decrypted rows and the two forms, with their CSRF token, are never kept). On
    PostgreSQL the digest of the thread's rows comes with the appeal (`thread_digest`), so a hit
    reads no message, file or event; elsewhere they are read and digested here."""
    digest, thread = appeal.thread_digest, None
    if digest is None:
        thread = appeal_thread(appeal)
        digest = digest_of(thread.files, thread.conversation, thread.history)

    def draw() -> tuple[str, str, str]:
        # Read after the digest on PostgreSQL, as the charges page's history is (account_html).
        return thread_parts(appeal.number, thread if thread is not None else appeal_thread(appeal))

    # The customer's id too: what one customer was shown is never served to another.
    return kept_parts("appeal_thread", f"{appeal.customer_id}:{appeal.pk}:{appeal.number}:{digest}", draw)
