"""Kind `payments`: payments from every channel (formats/payments.md).

A payment is known by its channel and its id at the source (`Payment.source_id`, unique with
the channel). A payment that arrives twice — in one file or in a later one — is recorded once;
the same id with another account, date or amount is an error, never an overwrite. Payments are
only ever inserted, so after the merge the month balances of the accounts that got a new
payment are rebuilt (billing.balances.rebuild_balances_selected: set-based SQL on PostgreSQL).

A payment made in Kabinet (kabinet.payments: channel `online`, source_id = ЮKassa's id, the
ledger entry of an OnlinePayment or a Refund) comes back in billing's file once billing has
it from Kabinet's export or the acquirer's registry. It is matched by that id and never added
again; its date is not compared (billing dates it by its own registry — often the next day —
and Kabinet keeps the day the customer paid), its account and amount are: another account or
amount is the row's error.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.utils import timezone

from kabinet.billing.balances import rebuild_balances_selected
from kabinet.billing.models import Payment
from kabinet.billing.money import format_amount
from kabinet.exchange.kinds import Column, Kind, MergeResult, RowError, register
from kabinet.exchange.kinds.common import (
    ACCOUNTS,
    check_number,
    parse_date,
    parse_decimal,
    region_of,
    regions,
    unknown_accounts,
)
from kabinet.payments.models import OnlinePayment, Refund

PAYMENTS = Payment._meta.db_table
CHANNELS = {choice.value for choice in Payment.Channel}
CHANNEL_LIST = ", ".join(choice.value for choice in Payment.Channel)
AMOUNT = Payment._meta.get_field("amount")  # rubles: at most two decimals, 10 digits before the point
ID_LIMIT = Payment._meta.get_field("source_id").max_length
SAME_ACCOUNT = "a.region_id = s.region_id AND a.number = s.number"
SAME_PAYMENT = "p.channel = s.channel AND p.source_id = s.source_id"
# Whether p, a stored payment, is the ledger entry of a payment or of a refund made in Kabinet.
OWN_PAYMENT = f"EXISTS (SELECT 1 FROM {OnlinePayment._meta.db_table} k WHERE k.ledger_entry_id = p.id)"
OWN_REFUND = f"EXISTS (SELECT 1 FROM {Refund._meta.db_table} k WHERE k.ledger_entry_id = p.id)"


@register
class Payments(Kind):
    name = "payments"
    title = "Платежи"
    columns = (
        Column("region"),
        Column("account"),
        Column("paid_on"),
        Column("amount"),
        Column("channel"),
        Column("payment_id"),
    )
    stage_columns = (
        ("region_id", "bigint"),
        ("number", "text"),
        ("paid_on", "date"),
        ("amount", "numeric(12, 2)"),
        ("channel", "text"),
        ("source_id", "text"),
    )
    stage_indexes = (("region_id", "number"), ("channel", "source_id"))

    def row_parser(self):
        known = regions()
        today = timezone.localdate()

        def parse(values):
            code, number, paid_on, amount, channel, source_id = values
            region = region_of(known, code)
            check_number(region, number)
            day = parse_date("paid_on", paid_on, required=True)
            if day > today:
                raise RowError(f"paid_on: «{paid_on}» — дата платежа ещё не наступила")
            if channel not in CHANNELS:
                raise RowError(f"channel: «{channel}» — ожидается одно из: {CHANNEL_LIST}")
            if not source_id:
                raise RowError("payment_id: не заполнен номер платежа в источнике")
            if len(source_id) > ID_LIMIT:
                raise RowError(f"payment_id: длиннее {ID_LIMIT} знаков")
            amount = parse_decimal("amount", amount, AMOUNT, zero=False)
            return region.pk, number, day.isoformat(), str(amount), channel, source_id

        return parse

    def check(self, stage):
        t = stage.table
        yield from unknown_accounts(stage)
        # The same payment twice in the file is recorded once; the same id with other data is not.
        yield from (
            (
                line,
                f"платёж {source_id} ({channel}) уже есть в файле, в строке {first}, с другим счётом, датой или суммой",
            )
            for line, source_id, channel, first in stage.stream(
                f"""SELECT s.line, s.source_id, s.channel, f.line FROM {t} s
                JOIN (SELECT channel, source_id, MIN(line) AS first FROM {t}
                      GROUP BY channel, source_id HAVING COUNT(*) > 1) d
                  ON d.channel = s.channel AND d.source_id = s.source_id
                JOIN {t} f ON f.line = d.first
                WHERE s.line > d.first
                  AND (s.region_id <> f.region_id OR s.number <> f.number
                       OR s.paid_on <> f.paid_on OR s.amount <> f.amount)
                ORDER BY s.line"""
            )
        )
        # A payment already recorded comes again only as it was: billing corrects a payment by
        # a new one (a refund is not a payment), not by sending the id again with other data.
        # Kabinet's own online payments are compared without their date (module docstring).
        yield from _changed_payments(stage)

    def merge(self, stage):
        t = stage.table
        new = f"""FROM {t} s JOIN {ACCOUNTS} a ON {SAME_ACCOUNT}
            WHERE NOT EXISTS (SELECT 1 FROM {PAYMENTS} p WHERE {SAME_PAYMENT})"""
        touched = f"{t}_touched"  # in a TEMP table, not in Python: a branch's file touches a million accounts
        stage.execute(f"DROP TABLE IF EXISTS {touched}")  # set-based: not shown (the import's temp tables)
        # set-based: not shown (the import's temp tables)
        stage.execute(f"CREATE TEMP TABLE {touched} AS SELECT DISTINCT a.id AS account_id {new}")
        # No DISTINCT: a payment repeated in the file conflicts with its first line and is skipped.
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        created = stage.execute(
            f"""INSERT INTO {PAYMENTS} (account_id, paid_on, amount, channel, source_id)
            SELECT a.id, s.paid_on, s.amount, s.channel, s.source_id {new}
            ON CONFLICT (channel, source_id) DO NOTHING"""
        )
        if created > 10_000:
            stage.analyze(PAYMENTS)
        notes = []
        repeated = (
            stage.rows - stage.select(f"SELECT COUNT(*) FROM (SELECT DISTINCT channel, source_id FROM {t}) k")[0][0]
        )
        if repeated:
            notes.append(f"повторов платежей в файле {repeated} (каждый учтён один раз)")
        notes.extend(_matched_online(stage))
        rebuilt = stage.select(f"SELECT COUNT(*) FROM {touched}")[0][0]
        if rebuilt:
            rebuild_balances_selected(f"SELECT account_id FROM {touched}")
            notes.append(f"сальдо пересчитано по счетам: {rebuilt}")
        stage.execute(f"DROP TABLE {touched}")  # set-based: not shown (the import's temp tables)
        return MergeResult(created=created, updated=0, notes=notes)


def _matched_online(stage) -> list[str]:
    """The summary's note on the rows that matched a payment made in Kabinet (none: no note)."""
    matched, other_day = stage.select(
        f"""SELECT COUNT(*), COUNT(CASE WHEN p.paid_on <> s.paid_on THEN 1 END)
        FROM {stage.table} s JOIN {PAYMENTS} p ON {SAME_PAYMENT}
        WHERE s.channel = '{Payment.Channel.ONLINE}' AND {OWN_PAYMENT}"""
    )[0]
    if not matched:
        return []
    dated = f" (с другой датой: {other_day}, оставлена дата оплаты в Кабинете)" if other_day else ""
    return [f"онлайн-оплат Кабинета узнано по номеру ЮKassa: {matched}{dated} — не добавлены повторно"]


def _changed_payments(stage) -> Iterator[tuple[int, str]]:
    """(line, reason) for each row whose payment is stored with other data, in line order."""
    for line, source_id, channel, number, paid_on, amount, in_file, file_amount, own, refund in stage.stream(
        f"""SELECT s.line, s.source_id, s.channel, a.number, CAST(p.paid_on AS TEXT), CAST(p.amount AS TEXT),
               s.number, CAST(s.amount AS TEXT), {OWN_PAYMENT}, {OWN_REFUND}
        FROM {stage.table} s
        JOIN {PAYMENTS} p ON {SAME_PAYMENT}
        JOIN {ACCOUNTS} a ON a.id = p.account_id
        WHERE a.region_id <> s.region_id OR a.number <> s.number OR p.amount <> s.amount
           OR (p.paid_on <> s.paid_on AND NOT {OWN_PAYMENT} AND NOT {OWN_REFUND})
        ORDER BY s.line"""
    ):
        stored = f"счёт {number}, {format_amount(Decimal(amount))} ₽"
        if refund:
            yield (
                line,
                (
                    f"платёж {source_id} ({channel}) — это возврат онлайн-оплаты, сделанный в Кабинете (счёт {number}, "
                    f"возвращено {format_amount(-Decimal(amount))} ₽): возвраты файлом платежей не загружаются"
                ),
            )
        elif own:
            differs = [f"счёт {in_file}"] if in_file != number else []
            if Decimal(file_amount) != Decimal(amount):
                differs.append(f"сумма {format_amount(Decimal(file_amount))} ₽")
            yield (
                line,
                (
                    f"платёж {source_id} ({channel}) оплачен в Кабинете: {stored} — в файле "
                    f"{', '.join(differs) or 'счёт другого региона'}; онлайн-оплата Кабинета принимается только "
                    "с тем же счётом и суммой (дата может отличаться)"
                ),
            )
        else:
            yield (
                line,
                (
                    f"платёж {source_id} ({channel}) уже загружен: счёт {number}, "
                    f"{date.fromisoformat(paid_on):%d.%m.%Y}, {format_amount(Decimal(amount))} ₽ — "
                    "в файле другие счёт, дата или сумма"
                ),
            )
