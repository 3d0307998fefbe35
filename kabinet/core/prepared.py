"""Querysets compiled once per process and run again with other ids.

A page's queries are the same statements for every customer but for an id or two, and Django
compiles each one anew on every request: for a query with subqueries (the home page's accounts
with their balances) compiling cost the page three times what PostgreSQL took to run it. A
`Prepared` is built from a function of integer ids, compiled on its first run, and afterwards
only its parameters change; rows become model instances through Django's own iterable
(select_related, annotations), as they would from the queryset.

Only for querysets whose statement does not depend on the values (integer ids and dates in
filters; no `__in` lists, no slicing by a value): `build` is called once, with stand-in values,
and each one must reach the statement as a parameter (checked when compiled)."""

from collections.abc import Callable, Iterable
import copy
from datetime import date, timedelta
import inspect
import threading

from django.db import connections
from django.db.models import Model, QuerySet

# Stand-ins far from any real id or date, so that no other parameter of a statement equals one.
_FIRST_ID = -(10**15) - 7
_FIRST_DATE = date(1, 2, 3)


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], dates: Iterable[str] = ()):
        """`build`'s arguments are ids, but those named in `dates`."""
        self._build = build
        names = list(inspect.signature(build).parameters)
        self._stand_ins = {
            name: _FIRST_DATE + timedelta(days=i) if name in dates else _FIRST_ID - i for i, name in enumerate(names)
        }
        # Connections are per thread in Django, and a compiled statement keeps its connection.
        self._local = threading.local()

    def __call__(self, **values: int | date) -> list[Model]:
        """The rows of `build(**values)`, as that queryset would give them."""
        queryset, compiler, sql, params, slots = self._compiled()
        ops = compiler.connection.ops
        given = {
            slot: ops.adapt_datefield_value(values[name]) if isinstance(values[name], date) else values[name]
            for slot, name in slots.items()
        }
        run_params = tuple(given.get(p, p) if type(p) in (int, str, date) else p for p in params)
        bound = copy.copy(compiler)
        bound.as_sql = lambda *args, **kwargs: (sql, run_params)
        run = queryset.all()
        run.query.get_compiler = lambda *args, **kwargs: bound
        return list(run)

    def _compiled(self):
        entry = getattr(self._local, "entry", None)
        if entry is None or entry[0] is not connections[entry[1].db]:
            queryset = self._build(**self._stand_ins)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            slots = {}  # each stand-in as the statement's parameters hold it → its argument's name
            for name, stand_in in self._stand_ins.items():
                held = (
                    compiler.connection.ops.adapt_datefield_value(stand_in) if isinstance(stand_in, date) else stand_in
                )
                if held not in params:
                    raise ValueError(f"{name} is not a parameter of the statement")
                slots[held] = name
            entry = self._local.entry = (connections[queryset.db], queryset, compiler, sql, params, slots)
        return entry[1:]
