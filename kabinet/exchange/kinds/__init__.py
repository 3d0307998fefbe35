"""What a kind of file declares, and the registry of kinds.

A kind is one module in this package (see accounts.py): its CSV columns, a row parser that
turns the row's text into typed values for the staging table or raises RowError with the
reason in Russian, optional checks in SQL over the whole staged file, and the merge from the
staging table into its own tables. Reading, checksums, the journal, all-or-nothing, COPY and
progress are the runner's (kabinet.exchange.runner), the same for every kind.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING

from kabinet.core.csv_import import RowError

if TYPE_CHECKING:
    from kabinet.exchange.staging import Stage

__all__ = ["BUILTIN", "Column", "Kind", "MergeResult", "RowError", "all_kinds", "get", "register"]

# Modules under kabinet.exchange.kinds that register a kind when imported (ExchangeConfig.ready).
BUILTIN = ["accounts", "meters", "payments", "readings", "accruals", "balances"]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = True


@dataclass
class MergeResult:
    created: int
    updated: int
    notes: list[str] = field(default_factory=list)  # extra facts for the summary, in Russian


class Kind:
    """Subclass, set the attributes, implement row_parser() and merge(); decorate with @register."""

    name: str  # the journal's kind and the command's: "accounts"
    title: str  # «Лицевые счета»: what the admin and the messages call it
    columns: Sequence[Column]
    # The staging table's columns after `line`, in the order row_parser returns values:
    # (name, SQL type understood by PostgreSQL and SQLite: integer, bigint, text, date).
    stage_columns: Sequence[tuple[str, str]]
    # Staging-table indexes the checks or the merge need on SQLite (PostgreSQL hashes instead).
    stage_indexes: Sequence[Sequence[str]] = ()
    # Writes what an account's card shows (the account, its address, region, payments, month
    # balances): a loaded file tells core.changes, once, when it commits.
    changes_accounts: bool = True

    def row_parser(self) -> Callable[[Sequence[str]], tuple]:
        """A function from the row's values (stripped text, in the order of `columns`, "" for an
        absent optional column) to the staged values; raises RowError. Called once a file, so it
        may load what it needs (regions, services) first."""
        raise NotImplementedError

    def check(self, stage: "Stage") -> Iterable[tuple[int, str]]:
        """Rules over the whole file, in SQL over the staged rows (duplicates, references to
        other rows): (line, reason) for each row that breaks one, ordered by line."""
        return ()

    def merge(self, stage: "Stage") -> MergeResult:
        """Write the staged rows into the kind's tables; never rewrite a row that did not change."""
        raise NotImplementedError

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


_KINDS: dict[str, Kind] = {}


def register(cls: type[Kind]) -> type[Kind]:
    _KINDS[cls.name] = cls()
    return cls


def get(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"неизвестный вид файла «{name}»") from None


def all_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.title)


def load_builtin() -> None:
    for module in BUILTIN:
        import_module(f"{__name__}.{module}")
