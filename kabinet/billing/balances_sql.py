"""Month balances of many accounts at once, in set-based SQL on PostgreSQL: the rows
`balances.month_balances` computes in Python, for a branch-sized import (a million accounts)
in a few statements instead of a few queries per thousand accounts.

The accounts to rebuild are in a TEMP table (`IDS`); they are taken a range of ids at a time,
so memory and temp space stay bounded whatever the history. For each range: the month rows are
computed into another TEMP table (`ROWS`), then Kabinet's months of those accounts are made
equal to them in place (deleted, updated where they differ, inserted where new) — billing's
months (source `billing`) are kept and only passed through, the next month opening with their
closing.
"""

from collections.abc import Iterable
import logging
import time

from kabinet.billing.models import Accrual, MonthBalance, Payment

IDS = "billing_rebuild_ids"
ROWS = "billing_rebuild_rows"
logger = logging.getLogger(__name__)
CHUNK = 200_000  # accounts per range: a month row each at least
ACCRUALS, PAYMENTS, BALANCES = (model._meta.db_table for model in (Accrual, Payment, MonthBalance))
BILLING, KABINET = MonthBalance.Source.BILLING.value, MonthBalance.Source.KABINET.value

# Per account of the range that has an accrual or a payment: every month from its first entry
# (accrual, payment or billing's month) to its last. A billing month starts a new segment; a
# month's closing is its segment's base (the account's first opening, or billing's closing)
# plus the accrued − paid of the segment's Kabinet months so far. Money has two decimals
# throughout, so the sums are exact, as `money.closing_balance` rounds them.
COMPUTE = f"""
CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS
WITH acc AS (
    SELECT c.account_id, c.period, round(SUM(c.amount) + SUM(c.recalculation), 2) AS accrued
    FROM {ACCRUALS} c JOIN {IDS} i ON i.account_id = c.account_id
    WHERE c.account_id > %(lo)s AND c.account_id <= %(hi)s
    GROUP BY c.account_id, c.period
), pay AS (
    SELECT p.account_id, CAST(date_trunc('month', CAST(p.paid_on AS timestamp)) AS date) AS period,
           round(SUM(p.amount), 2) AS paid
    FROM {PAYMENTS} p JOIN {IDS} i ON i.account_id = p.account_id
    WHERE p.account_id > %(lo)s AND p.account_id <= %(hi)s
    GROUP BY 1, 2
), fixed AS (
    SELECT b.account_id, b.period, b.closing
    FROM {BALANCES} b JOIN {IDS} i ON i.account_id = b.account_id
    WHERE b.account_id > %(lo)s AND b.account_id <= %(hi)s AND b.source = '{BILLING}'
), first AS (
    SELECT DISTINCT ON (b.account_id) b.account_id, b.opening
    FROM {BALANCES} b JOIN {IDS} i ON i.account_id = b.account_id
    WHERE b.account_id > %(lo)s AND b.account_id <= %(hi)s
    ORDER BY b.account_id, b.period
), bounds AS (
    SELECT account_id, MIN(period) AS lo, MAX(period) AS hi FROM (
        SELECT account_id, period, TRUE AS entry FROM acc
        UNION ALL SELECT account_id, period, TRUE FROM pay
        UNION ALL SELECT account_id, period, FALSE FROM fixed
    ) e GROUP BY account_id HAVING bool_or(entry)
), flows AS (
    SELECT m.account_id, m.period, COALESCE(acc.accrued, 0) AS accrued, COALESCE(pay.paid, 0) AS paid,
           f.closing AS fixed_closing,
           COUNT(f.closing) OVER (PARTITION BY m.account_id ORDER BY m.period) AS segment
    FROM (SELECT b.account_id, CAST(g AS date) AS period FROM bounds b
          CROSS JOIN LATERAL generate_series(CAST(b.lo AS timestamp), CAST(b.hi AS timestamp), interval '1 month') g
    ) m
    LEFT JOIN acc ON acc.account_id = m.account_id AND acc.period = m.period
    LEFT JOIN pay ON pay.account_id = m.account_id AND pay.period = m.period
    LEFT JOIN fixed f ON f.account_id = m.account_id AND f.period = m.period
), running AS (
    SELECT flows.*,
           FIRST_VALUE(fixed_closing) OVER s AS base,
           SUM(CASE WHEN fixed_closing IS NULL THEN accrued - paid ELSE 0 END) OVER s AS moved
    FROM flows WINDOW s AS (PARTITION BY account_id, segment ORDER BY period)
)
SELECT r.account_id, r.period, r.fixed_closing IS NOT NULL AS fixed,
       COALESCE(r.base, first.opening, 0) + r.moved - (r.accrued - r.paid) AS opening,
       r.accrued, r.paid, COALESCE(r.base, first.opening, 0) + r.moved AS closing
FROM running r LEFT JOIN first ON first.account_id = r.account_id
"""


def create_id_table(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {IDS}")  # set-based: not shown (the rebuild's temp tables)
    # set-based: not shown (the rebuild's temp tables)
    cursor.execute(f"CREATE TEMP TABLE {IDS} (account_id bigint) ON COMMIT DROP")  # each id once


def add_ids(cursor, account_ids: Iterable[int]) -> None:
    """The ids into `IDS` by COPY, each once."""
    # set-based: not shown (the rebuild's temp tables)
    with cursor.cursor.copy(f"COPY {IDS} (account_id) FROM STDIN") as copy:
        for account_id in sorted(set(account_ids)):
            copy.write_row((account_id,))  # set-based: not shown (the rebuild's temp tables)


def add_selected(cursor, select_ids: str) -> None:
    """The ids a SELECT of one column `account_id` returns into `IDS`, each once."""
    # set-based: not shown (the rebuild's temp tables)
    cursor.execute(f"INSERT INTO {IDS} (account_id) SELECT DISTINCT account_id FROM ({select_ids}) ids")


def rebuild(cursor, chunk: int | None = None) -> int:
    """Rebuild the month balances of the accounts in `IDS`, `chunk` accounts at a time; the
    number of their Kabinet months (as `rebuild_balances_of` counts them)."""
    chunk = chunk or CHUNK
    # set-based: not a write (a SET LOCAL)
    cursor.execute("SET LOCAL jit = off")  # compiling the statement took a third of its time
    cursor.execute(f"ANALYZE {IDS}")  # set-based: not shown (the rebuild's temp tables)
    cursor.execute(  # set-based: not a write (a SELECT)
        f"""SELECT account_id FROM (SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM {IDS}) x
        WHERE mod(n, {chunk}) = 0 ORDER BY account_id"""
    )
    bounds = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"SELECT MAX(account_id) FROM {IDS}")  # set-based: not a write (a SELECT)
    last = cursor.fetchone()[0]
    if last is None:
        return 0
    written, lo = 0, 0
    if not bounds or bounds[-1] != last:
        bounds.append(last)
    for hi in bounds:
        started = time.perf_counter()
        cursor.execute(f"DROP TABLE IF EXISTS {ROWS}")  # set-based: not shown (the rebuild's temp tables)
        cursor.execute(COMPUTE, {"lo": lo, "hi": hi})  # set-based: not shown (the rebuild's temp tables)
        cursor.execute(f"ANALYZE {ROWS}")  # set-based: not shown (the rebuild's temp tables)
        # In place: a month that did not change is not rewritten, a changed one is updated (no
        # new row, index entry or foreign-key check), only months new to an account are inserted.
        cursor.execute(  # set-based: covered (a rebuild of month balances: it tells core.changes)
            f"""DELETE FROM {BALANCES} b USING (SELECT DISTINCT account_id FROM {ROWS}) r
            WHERE b.account_id = r.account_id AND b.source = '{KABINET}'
              AND NOT EXISTS (SELECT 1 FROM {ROWS} n
                              WHERE n.account_id = b.account_id AND n.period = b.period AND NOT n.fixed)"""
        )
        cursor.execute(  # set-based: covered (a rebuild of month balances: it tells core.changes)
            f"""UPDATE {BALANCES} b
            SET opening = n.opening, accrued = n.accrued, paid = n.paid, closing = n.closing
            FROM {ROWS} n
            WHERE b.account_id = n.account_id AND b.period = n.period AND NOT n.fixed AND b.source = '{KABINET}'
              AND (b.opening, b.accrued, b.paid, b.closing)
                  IS DISTINCT FROM (n.opening, n.accrued, n.paid, n.closing)"""
        )
        cursor.execute(  # set-based: covered (a rebuild of month balances: it tells core.changes)
            f"""INSERT INTO {BALANCES} (account_id, period, opening, accrued, paid, closing, source)
            SELECT account_id, period, opening, accrued, paid, closing, '{KABINET}' FROM {ROWS} n
            WHERE NOT fixed
              AND NOT EXISTS (SELECT 1 FROM {BALANCES} b WHERE b.account_id = n.account_id AND b.period = n.period)
            ORDER BY account_id, period"""
        )
        cursor.execute(f"SELECT COUNT(*) FROM {ROWS} WHERE NOT fixed")  # set-based: not a write (a SELECT)
        months = cursor.fetchone()[0]
        written += months
        logger.debug("%.2f s: balances of accounts %s–%s rebuilt, %s months", time.perf_counter() - started, lo, hi,
                     months)  # fmt: skip
        lo = hi
    cursor.execute(f"DROP TABLE IF EXISTS {ROWS}")  # set-based: not shown (the rebuild's temp tables)
    return written
