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

A sentinel must reach the SQL unchanged (an exact lookup, not `__contains`, which escapes it);
the first compilation checks that each one is there. `key` names what else the SQL depends on
(the registered staff checks, say): another key compiles again.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators


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


@dataclass
class _Prepared:
    sql: str
    params: list[Any]
    slots: list[tuple[int, int]]  # (position among the params, index of the argument)
    compiler: Any
    init_list: list[str]
    fields: tuple[int, int]
    populators: list
    annotations: dict[str, int]

    def instances(self, db: str, args: tuple) -> list[Model]:
        params = list(self.params)
        for position, index in self.slots:
            params[position] = args[index]
        with connections[db].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        compiler = self.compiler
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        model = compiler.klass_info["model"]
        start, end = self.fields
        result = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(db, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            result.append(obj)
        return result


class Compiled:
    """`build(*arguments)` → a model queryset, compiled on first use per database and key."""

    def __init__(self, build: Callable[..., QuerySet], *sentinels: Any, key: Callable[[], Hashable] = lambda: None):
        self.build = build
        self.sentinels = sentinels
        self.key = key
        self._prepared: dict[tuple, _Prepared] = {}

    def instances(self, *args: Any, using: str = "default") -> list[Model]:
        """What `list(build(*args))` gives, without compiling it again."""
        if len(args) != len(self.sentinels):
            raise TypeError(f"{len(self.sentinels)} arguments expected, {len(args)} given")
        cache_key = (using, connections[using].vendor, self.key())
        prepared = self._prepared.get(cache_key)
        if prepared is None:
            prepared = self._prepared[cache_key] = self._prepare(using)
        return prepared.instances(using, args)

    def _prepare(self, db: str) -> _Prepared:
        queryset = self.build(*self.sentinels)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise TypeError("Compiled takes querysets of model instances, without prefetch_related")
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for index, value in enumerate(self.sentinels):
            found = [position for position, param in enumerate(params) if param == value]
            if not found:
                raise ValueError(f"sentinel {value!r} does not reach the SQL unchanged")
            slots += [(position, index) for position in found]
        info, select = compiler.klass_info, compiler.select
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Prepared(
            sql=sql,
            params=params,
            slots=slots,
            compiler=compiler,
            init_list=[column[0].target.attname for column in select[start:end]],
            fields=(start, end),
            populators=get_related_populators(info, select, db),
            annotations=dict(compiler.annotation_col_map or {}),
        )
