"""Querysets compiled once per process and run again with other ids.

A page's queries are the same statements for every customer but for an id or two, and Django
compiles each one anew on every request: for a query with subqueries (the home page's accounts
with their balances) compiling cost the page three times what PostgreSQL took to run it. A
`Prepared` is built from a function of integer ids, compiled on its first run, and afterwards
only its parameters change; rows become model instances through Django's own iterable
(select_related, annotations), as they would from the queryset.

Only for querysets whose statement does not depend on the values (integer ids in filters; no
`__in` lists, no slicing by a value): `build` is called once, with stand-in ids, and each one
must reach the statement as a parameter (checked when compiled)."""

from collections.abc import Callable
import copy
import inspect
import threading

from django.db import connections
from django.db.models import Model, QuerySet

# Stand-in ids: far outside any sequence, so that no other parameter of a statement equals one.
_FIRST_STAND_IN = -(10**15) - 7


class Prepared:
    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._names = list(inspect.signature(build).parameters)
        # Connections are per thread in Django, and a compiled statement keeps its connection.
        self._local = threading.local()

    def __call__(self, **ids: int) -> list[Model]:
        """The rows of `build(**ids)`, as that queryset would give them."""
        queryset, compiler, sql, params = self._compiled()
        stand_ins = {_FIRST_STAND_IN - i: ids[name] for i, name in enumerate(self._names)}
        values = tuple(stand_ins.get(p, p) if type(p) is int else p for p in params)
        bound = copy.copy(compiler)
        bound.as_sql = lambda *args, **kwargs: (sql, values)
        run = queryset.all()
        run.query.get_compiler = lambda *args, **kwargs: bound
        return list(run)

    def _compiled(self):
        entry = getattr(self._local, "entry", None)
        if entry is None or entry[0] is not connections[entry[1].db]:
            queryset = self._build(**{name: _FIRST_STAND_IN - i for i, name in enumerate(self._names)})
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            for i, name in enumerate(self._names):
                if _FIRST_STAND_IN - i not in params:
                    raise ValueError(f"{name} is not a parameter of the statement")
            entry = self._local.entry = (connections[queryset.db], queryset, compiler, sql, params)
        return entry[1:]
