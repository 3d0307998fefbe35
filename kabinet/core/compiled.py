"""Querysets compiled once per process and then run with a raw cursor.

Turning a queryset into SQL costs the ORM about a millisecond of CPU for a query with a few
joins and subqueries, every time it runs; PostgreSQL answers such a query in a fraction of
that. For the hottest reads (the API's token check and account list, bench/api.py) the
queryset is still written with the ORM, once: it is built with *sentinel* arguments, compiled,
and the sentinels' positions among the SQL's parameters are noted. Each run then substitutes
the real arguments and hands the rows to the same code that makes model instances from a
queryset's rows (select_related and annotations included), so the result is what the queryset
would give: one definition, the ORM's own SQL.

    by_hash = Compiled(lambda token_hash: Token.objects.filter(token_hash=token_hash)[:1], sentinel.text(0))
    by_hash.instances("abc…")

A `values_list()` queryset (tuples, not flat or named) may be compiled too: it has `rows()`, each
the tuple the queryset gives, and no instances (a list of months and their balances, say).

`rows("abc…")` stops halfway: the rows as the ORM's converters leave them (`Rows`), whose
`instances()` makes the same instances when, and if, they are needed. Making instances costs
more than reading the rows (`Model.from_db`, signals): a caller that needs only a digest of the
rows, or only the first, makes none or one (billing.history).

A sentinel must reach the SQL as its field's adapter leaves it (an exact or comparison lookup,
not `__contains`, which escapes it): the first compilation finds each one among the parameters,
as is or as the backend adapts a datetime, date, time, decimal or integer (SQLite and MySQL
turn datetimes and dates into text; PostgreSQL gives an integer its column's width), and each
run adapts the real argument the same way: an integer compared with a column narrower than 64
bits must be within its range (the ORM would empty or fill such a lookup instead). `key` names
what else the SQL depends on (the registered staff checks, say): another key compiles again.

`build` runs once per thread, database and key, with the sentinels: the SQL must depend on
nothing else. So it must not read `timezone.now()`, the active time zone or language, or
settings (pass such values as sentinel arguments), and an argument must never change the
statement's shape: None (`IS NULL`) and lists, tuples, sets or querysets (`IN (…)`) are refused
with TypeError, as is an argument of another kind than its sentinel. An integer outside signed
64 bits (an id from a URL, say) matches no row, as with the ORM, which empties such a lookup;
passed on, SQLite would raise OverflowError.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
import threading
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import CharField, Expression, Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators


class sentinel:
    """Argument values no real query uses, each unique, inside its column's range."""

    @staticmethod
    def text(n: int) -> str:
        return f"\x1fcompiled-sentinel-{n}\x1f"

    @staticmethod
    def integer(n: int) -> int:
        return 2_147_000_000 + n  # in a 32-bit column's range: Django empties out-of-range lookups

    @staticmethod
    def moment(n: int) -> datetime:
        return datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC) + timedelta(microseconds=n)

    @staticmethod
    def day(n: int) -> date:
        return date(1902, 3, 4) + timedelta(days=n)


def _identity(value: Any) -> Any:
    return value


# How a backend may hold an argument among the SQL's parameters: as given, or as its field's
# get_db_prep_value adapts it (`ops` methods, named so that each connection's own are used).
_ADAPTERS = (
    "adapt_datetimefield_value",
    "adapt_datefield_value",
    "adapt_timefield_value",
    "adapt_decimalfield_value",
)
_SHAPES = (list, tuple, set, frozenset, dict, QuerySet)
# The widest integer column (BigIntegerField) holds signed 64 bits: past them nothing is equal.
_INTEGER_RANGE = range(-(2**63), 2**63)


def _integer_adapters(ops) -> list[Callable[[Any], Any]]:
    """psycopg 3's backend wraps an integer compared with an integer column (not a key) in its
    column's width (Int2, Int4, Int8: `adapt_integerfield_value` takes the field's type)."""
    return [
        partial(ops.adapt_integerfield_value, internal_type=kind) for kind in getattr(ops, "integerfield_type_map", ())
    ]


def _adapter_of(ops, value: Any, param: Any) -> Callable[[Any], Any] | None:
    """The adapter that turns the sentinel `value` into the SQL's `param`, if any."""
    named = filter(None, (getattr(ops, name, None) for name in _ADAPTERS))
    for adapt in (_identity, *named, *_integer_adapters(ops)):
        try:
            if type(adapt(value)) is type(param) and adapt(value) == param:
                return adapt
        except (TypeError, ValueError, AttributeError):
            continue
    return None


def _check_argument(index: int, value: Any, like: Any) -> bool:
    """Refuse what would need another statement than the one compiled (see the module's doc);
    False when the argument can match no row."""
    if value is None or isinstance(value, _SHAPES):
        raise TypeError(f"argument {index}: {type(value).__name__} would change the compiled SQL")
    kind = type(like)
    same = isinstance(value, kind) and isinstance(value, datetime) == isinstance(like, datetime)
    if not same or isinstance(value, bool) != isinstance(like, bool):
        raise TypeError(f"argument {index}: {kind.__name__} expected, {type(value).__name__} given")
    if isinstance(like, datetime) and (value.tzinfo is None) != (like.tzinfo is None):
        raise TypeError(f"argument {index}: an aware datetime expected")
    return not isinstance(value, int) or value in _INTEGER_RANGE


@dataclass
class _Prepared:
    sql: str
    params: list[Any]
    slots: list[tuple[int, int, Callable[[Any], Any]]]  # (position, argument's index, its adapter)
    connection: Any  # the connection it was compiled on: the thread's own
    compiler: Any
    init_list: list[str]
    fields: tuple[int, int]
    populators: list
    annotations: dict[str, int]
    # What results_iter works out on every call, worked out once: the ORM's converters of the
    # selected columns (about a tenth of a page with several compiled reads) and whether a
    # composite key's columns must be paired.
    columns: list
    converters: dict
    composite: bool
    tuples: bool  # a values_list statement: no instances

    def params_for(self, args: tuple) -> list[Any]:
        params = list(self.params)
        for position, index, adapt in self.slots:
            params[position] = adapt(args[index])
        return params

    def rows(self, db: str, args: tuple) -> "Rows":
        params = self.params_for(args)
        with _cursor(connections[db]) as cursor:
            cursor.execute(self.sql, params)  # set-based: not a write (the compiled SELECTs of hot reads)
            rows = cursor.fetchall()
        compiler = self.compiler
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        if self.converters:  # as results_iter, with what it would work out again
            rows = compiler.apply_converters(rows, self.converters)
        if self.composite:
            rows = compiler.composite_fields_to_tuples(rows, self.columns)
        return Rows(tuple(map(tuple, rows)), self, db)

    def build(self, db: str, rows: Sequence[tuple]) -> list[Model]:
        model = self.compiler.klass_info["model"]
        start, end = self.fields
        result = []
        for row in rows:
            obj = model.from_db(db, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            result.append(obj)
        return result


@dataclass(frozen=True, eq=False)
class Rows:
    """A compiled statement's rows as the ORM's converters leave them: each the values
    `Model.from_db` is given, with select_related's and the annotations' columns after them.

    Cheaper to keep or digest than model instances (a page's cache key, say, `History.fingerprint`):
    `instances()` makes those later, and only if asked, by the code `Compiled.instances` runs.
    A slice is Rows too (`rows[:1].instances()`: the first row's instance alone)."""

    values: tuple[tuple, ...] = ()
    prepared: _Prepared | None = None  # None only when there are no values: nothing to build
    db: str = "default"

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: slice) -> "Rows":
        return Rows(self.values[index], self.prepared, self.db)

    def instances(self) -> list[Model]:
        if self.prepared is not None and self.prepared.tuples:  # refused with rows or without
            raise TypeError("a values_list statement's rows are its tuples: it has no instances")
        if not self.values:
            return []
        return self.prepared.build(self.db, self.values)

    def annotation(self, name: str) -> list[Any]:
        """Each row's value of the annotation `name`, without making instances."""
        if not self.values:
            return []
        position = self.prepared.annotations[name]
        return [row[position] for row in self.values]


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """On PostgreSQL, a cursor whose statements the server keeps parsed and planned.

    Django binds parameters on the client and never prepares, so PostgreSQL parses and plans
    every statement afresh: for the pages' compiled reads (the home cards' seven subqueries,
    the history's three) that took more of its CPU than running them. A compiled statement's
    text never changes, so it is prepared on its first run on a connection (psycopg names and
    keeps up to 100 a connection; a new connection prepares again). Only these cursors prepare:
    Django's own bind on the client, and psycopg never prepares those. Session-mode poolers
    keep prepared statements; a transaction-mode pooler would not (docs/production.md).

    While queries are logged (DEBUG, a test counting them) Django's own cursor runs it: the log
    takes the SQL a client-bound cursor sent, and a server-bound one keeps none to show.
    """
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    # Here, not at the top: the PostgreSQL backend needs psycopg, which SQLite's tests do not.
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor, register_tzloader
    from psycopg.pq import Format

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        if raw.prepare_threshold is None:  # Django's default: none prepared
            raw.prepare_threshold = 0
        cursor = ServerBindingCursor(raw)
        # As Django's create_cursor: the connection's time zone for timestamptz.
        tzloader = raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != tzloader.timezone:
            register_tzloader(connection.timezone, cursor)
        # Django's own wrapping, as its cursor() would (thread check, error translation).
        return connection._prepare_cursor(cursor)


class Compiled:
    """`build(*arguments)` → a model queryset, compiled on first use per thread, database and
    key: `build` runs then, with the sentinels, and never again there (the module's doc says
    what it must not read)."""

    def __init__(self, build: Callable[..., QuerySet], *sentinels: Any, key: Callable[[], Hashable] = lambda: None):
        self.build = build
        self.sentinels = sentinels
        self.key = key
        # Per thread: a compiler holds the connection it compiled on, and Django's connections
        # are per thread (gthread workers, ASGI's sync threads).
        self._local = threading.local()

    def instances(self, *args: Any, using: str = "default") -> list[Model]:
        """What `list(build(*args))` gives, without compiling it again."""
        return self.rows(*args, using=using).instances()

    def rows(self, *args: Any, using: str = "default") -> Rows:
        """The rows `instances` would make its instances of, not made yet (`Rows`)."""
        prepared = self._prepared_for(args, using)
        if prepared is None:
            return Rows(db=using)
        return prepared.rows(using, args)

    def sql_and_params(self, *args: Any, using: str = "default") -> tuple[str, list[Any]] | None:
        """The statement `rows(*args)` runs and its parameters, for a caller that runs it inside
        another (`RowsDigest`); None when the arguments can match no row."""
        prepared = self._prepared_for(args, using)
        if prepared is None:
            return None
        return prepared.sql, prepared.params_for(args)

    def _prepared_for(self, args: tuple, using: str) -> _Prepared | None:
        if len(args) != len(self.sentinels):
            raise TypeError(f"{len(self.sentinels)} arguments expected, {len(args)} given")
        checked = [_check_argument(index, *pair) for index, pair in enumerate(zip(args, self.sentinels, strict=True))]
        if not all(checked):
            return None
        connection = connections[using]
        prepared_of = self._local.__dict__.setdefault("prepared", {})
        cache_key = (using, self.key())
        prepared = prepared_of.get(cache_key)
        if prepared is None or prepared.connection is not connection:
            prepared = prepared_of[cache_key] = self._prepare(using)
        return prepared

    def _prepare(self, db: str) -> _Prepared:
        queryset = self.build(*self.sentinels)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable) or queryset._prefetch_related_lookups:
            raise TypeError("Compiled takes querysets of model instances or values_list(), without prefetch_related")
        if queryset._iterable_class is ValuesListIterable:
            _check_columns_in_order(queryset)
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for index, value in enumerate(self.sentinels):
            found = []
            for position, param in enumerate(params):
                if (adapt := _adapter_of(compiler.connection.ops, value, param)) is not None:
                    found.append((position, index, adapt))
            if not found:
                raise ValueError(f"sentinel {value!r} does not reach the SQL as a parameter")
            slots += found
        info, select = compiler.klass_info, compiler.select
        tuples = queryset._iterable_class is ValuesListIterable
        start, end = (0, 0) if tuples else (info["select_fields"][0], info["select_fields"][-1] + 1)
        columns = [column[0] for column in select[: compiler.col_count]]
        return _Prepared(
            sql=sql,
            params=params,
            slots=slots,
            connection=compiler.connection,
            compiler=compiler,
            init_list=[column[0].target.attname for column in select[start:end]],
            fields=(start, end),
            populators=[] if tuples else get_related_populators(info, select, db),
            annotations=dict(compiler.annotation_col_map or {}),
            columns=columns,
            converters=compiler.get_converters(columns),
            composite=compiler.has_composite_fields(columns),
            tuples=tuples,
        )


def _check_columns_in_order(queryset: QuerySet) -> None:
    """ValuesListIterable reorders the columns when the names asked differ from the SQL's order
    (annotations named before fields); the compiled rows are the SQL's, so that is refused."""
    query = queryset.query
    selected = [*query.extra_select, *query.values_select, *query.annotation_select]
    asked = [*queryset._fields, *(name for name in query.annotation_select if name not in queryset._fields)]
    if queryset._fields and asked != selected:
        raise TypeError(f"values_list{tuple(queryset._fields)} would reorder the columns {tuple(selected)}")


class RowsDigest(Expression):
    """A digest of every column of every row the compiled `reads` (each a statement and its
    arguments) return, computed by PostgreSQL as a column of the statement it annotates: a page
    reads the digest of rows it has kept drawn with its other data, without the rows
    (portal.fragments, «Начисления и платежи»). NULL on other databases, where the caller digests
    the rows itself. The reads' arguments may be the annotated Compiled's sentinels: their SQL's
    parameters are then that statement's."""

    output_field = CharField()

    def __init__(self, reads: Sequence[tuple[Compiled, tuple]]):
        super().__init__()
        self.reads = reads

    def as_sql(self, compiler, connection) -> tuple[str, list[Any]]:
        return "NULL", []

    def as_postgresql(self, compiler, connection) -> tuple[str, list[Any]]:
        return _digest_sql(self.reads, connection.alias)

    def read(self, using: str = "default") -> str | None:
        """The digest alone, in a statement of its own (None on other databases): to check that
        rows read after the statement it annotated are still the ones it digested."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            return None
        sql, params = _digest_sql(self.reads, using)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql}", params)  # set-based: not a write (a digest read)
            return cursor.fetchone()[0]


def _digest_sql(reads: Sequence[tuple[Compiled, tuple]], using: str) -> tuple[str, list[Any]]:
    """The digest's expression: each row hashed by PostgreSQL (`hash_record_extended`, every
    column; PostgreSQL 14+), each read's row hashes sorted and joined, the reads' parts joined in
    their order and hashed with md5. A row's hash is a sum of its columns' hashes, so summing the
    rows' would miss values swapped between rows (two payments' dates): the hashes are sorted
    instead, which took PostgreSQL about a tenth less than sorting the rows' text (docs/performance.md,
    step 11). Any change of a column changes its row's hash (but with a chance of 2^-64). The
    columns must have hash functions (not json, xml, point); a numeric's hash ignores its scale,
    as the history's fixed-scale columns can. Its text depends only on the compiled statements',
    so `_cursor` prepares it once a connection as it does them."""
    parts, params = [], []
    for compiled, args in reads:
        found = compiled.sql_and_params(*args, using=using)
        if found is None:  # matches no row: as an empty read
            parts.append("''")
            continue
        sql, read_params = found
        # The compiled statement's own SQL (the ORM's, parameters apart): nothing from outside.
        hashed = f"SELECT hash_record_extended(t, 0) AS h FROM ({sql}) t"  # noqa: S608
        parts.append(f"(SELECT coalesce(string_agg(h::text, ',' ORDER BY h), '') FROM ({hashed}) hashed)")  # noqa: S608
        params += read_params
    return f"md5(concat_ws('|', {', '.join(parts)}))", params
