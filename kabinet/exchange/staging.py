"""The staging table of one import: a TEMP table (gone with the session, never seen by the
portal) that the validated rows are written to in chunks — COPY on PostgreSQL, executemany on
SQLite — and that a kind merges from with set-based SQL."""

from collections.abc import Sequence
import logging
import time

from django.db import connection

from kabinet.exchange.kinds import Kind

logger = logging.getLogger(__name__)


class Stage:
    def __init__(self, kind: Kind):
        self.kind = kind
        self.table = f"exchange_stage_{kind.name}"
        self.columns = [("line", "integer"), *kind.stage_columns]
        self.vendor = connection.vendor
        self.rows = 0

    # --- lifecycle -----------------------------------------------------------------------
    def create(self) -> None:
        definition = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        self.execute(f"DROP TABLE IF EXISTS {self.table}")  # set-based: not shown (the import's temp tables)
        # set-based: not shown (the import's temp tables)
        self.execute(f"CREATE TEMP TABLE {self.table} ({definition})")

    def write(self, rows: Sequence[tuple]) -> None:
        """Append a chunk of rows (line first, then the kind's stage columns)."""
        names = ", ".join(name for name, _ in self.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # set-based: not shown (the import's temp tables)
                with cursor.cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)  # set-based: not shown (the import's temp tables)
            else:
                marks = ", ".join("?" for _ in self.columns)
                # set-based: not shown (the import's temp tables)
                cursor.connection.executemany(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", rows)
        self.rows += len(rows)

    def finish(self) -> None:
        """After the last chunk: indexes and statistics, so the checks and the merge plan well."""
        if self.vendor == "postgresql":
            # set-based: not shown (the import's temp tables)
            self.execute(f"ANALYZE {self.table}")  # temp tables are never auto-analysed
        else:
            for number, columns in enumerate(self.kind.stage_indexes):
                # set-based: not shown (the import's temp tables)
                self.execute(f"CREATE INDEX {self.table}_{number} ON {self.table} ({', '.join(columns)})")

    def drop(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.table}")  # set-based: not shown (the import's temp tables)

    # --- SQL helpers for kinds -------------------------------------------------------------
    def execute(self, sql: str, params: Sequence = ()) -> int:
        """Run one statement; the number of rows it changed."""
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # set-based: covered (the kinds' SQL runs here: each call is marked in the kind)
            cursor.execute(sql, params)
            logger.debug(
                "%.2f s, %s rows: %s", time.perf_counter() - started, cursor.rowcount, " ".join(sql.split())[:70]
            )
            return cursor.rowcount

    def select(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with connection.cursor() as cursor:
            # set-based: covered (the kinds' SQL runs here: each call is marked in the kind)
            cursor.execute(sql, params)
            return cursor.fetchall()

    def stream(self, sql: str, params: Sequence = (), size: int = 1000):
        with connection.cursor() as cursor:
            # set-based: covered (the kinds' SQL runs here: each call is marked in the kind)
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(size):
                yield from chunk

    def index(self, table: str, columns: Sequence[str]) -> None:
        """An index on a helper TEMP table the next statements probe row by row (SQLite only:
        without it a correlated EXISTS scans the table once per outer row — quadratic;
        PostgreSQL hashes instead)."""
        if self.vendor != "postgresql":
            # set-based: not shown (the import's temp tables)
            self.execute(f"CREATE INDEX {table}_key ON {table} ({', '.join(columns)})")

    def analyze(self, *tables: str) -> None:
        """Fresh planner statistics after writing many rows into `tables`: the next statement
        joins them, and autovacuum has not seen the new rows yet. SQLite has none at all until
        ANALYZE: it then takes any index for as good as any other — readings_meter's
        `service_id` (one value) as readily as `account_id` — and nests a scan in a join."""
        if self.vendor == "postgresql":
            self.execute(f"ANALYZE {', '.join(tables)}")  # set-based: not shown (the import's temp tables)
        else:
            for table in tables:
                self.execute(f"ANALYZE {table}")  # set-based: not shown (the import's temp tables)

    def changed(self, pairs: Sequence[tuple[str, str]]) -> str:
        """SQL that is true when any (old, new) pair differs, NULLs compared as values."""
        if self.vendor == "postgresql":
            old = ", ".join(a for a, _ in pairs)
            new = ", ".join(b for _, b in pairs)
            return f"({old}) IS DISTINCT FROM ({new})"
        return "(" + " OR ".join(f"{a} IS NOT {b}" for a, b in pairs) + ")"
