"""Reading an exchange file: a pre-scan (checksum and line count, constant memory), then a
stream of CSV records with their physical line numbers, the checksum taken again on the way,
strict UTF-8 (a BOM accepted) and a header checked against the kind's columns."""

from collections.abc import Iterator
import csv
from dataclasses import dataclass
import hashlib
from typing import BinaryIO

from kabinet.exchange import kinds
from kabinet.exchange.kinds import Kind

RAW_LIMIT = 500  # characters of a rejected row kept in the journal
SCAN_BLOCK = 1 << 20


class FileRejected(Exception):
    """The file as a whole cannot be loaded (header, encoding, emptiness); the reason in Russian,
    with the line when there is one."""

    def __init__(self, reason: str, line: int | None = None, raw: str = ""):
        super().__init__(reason)
        self.reason, self.line, self.raw = reason, line, visible(raw)


def visible(text: str) -> str:
    """A line's text as the journal keeps it: PostgreSQL text cannot hold a NUL."""
    return text.replace("\x00", "\ufffd")[:RAW_LIMIT]


@dataclass(frozen=True)
class Scan:
    checksum: str
    lines: int
    size: int


def scan(binary: BinaryIO) -> Scan:
    """SHA-256 and the number of lines, reading 1 MiB at a time; the stream is left at its start."""
    digest, lines, size = hashlib.sha256(), 0, 0
    binary.seek(0)
    while block := binary.read(SCAN_BLOCK):
        digest.update(block)  # set-based: not a write (a hash's update)
        lines += block.count(b"\n")
        size += len(block)
        last = block
    if size and not last.endswith(b"\n"):
        lines += 1
    binary.seek(0)
    return Scan(digest.hexdigest(), lines, size)


class CsvSource:
    """Records of a CSV file as (line, fields, raw text), decoded line by line so that a byte
    that is not UTF-8 is reported with its line. `checksum` is complete once exhausted."""

    def __init__(self, binary: BinaryIO):
        self.binary = binary
        self.digest = hashlib.sha256()
        self.line = 0
        self._record: list[str] = []
        self._reader = csv.reader(self._lines(), strict=True)

    def _lines(self) -> Iterator[str]:
        for raw in self.binary:
            self.digest.update(raw)  # set-based: not a write (a hash's update)
            self.line += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FileRejected(
                    f"Файл не в кодировке UTF-8: в строке {self.line} байт 0x{raw[exc.start]:02X} "
                    f"(позиция {exc.start + 1}) — сохраните файл в UTF-8 и загрузите снова",
                    line=self.line,
                    raw=raw.decode("utf-8", "replace")[:RAW_LIMIT],
                ) from None
            if self.line == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if "\x00" in text:  # valid UTF-8, but no text file has it: UTF-16 without a BOM, a binary file
                raise FileRejected(
                    f"Файл не текстовый CSV в UTF-8: в строке {self.line} нулевой байт (позиция "
                    f"{raw.index(0) + 1}) — возможно, это UTF-16; сохраните файл в UTF-8 и загрузите снова",
                    line=self.line,
                    raw=text,
                )
            self._record.append(text)
            yield text

    @property
    def checksum(self) -> str:
        return self.digest.hexdigest()

    def header(self) -> list[str]:
        try:
            names = next(self._reader)
        except StopIteration:
            raise FileRejected("Файл пуст: нет строки заголовка", line=1) from None
        self._record = []
        return [name.strip() for name in names]

    def __iter__(self) -> Iterator[tuple[int, list[str], list[str]]]:
        """(line, fields, the record's text lines): `record_text` of them only for a rejected
        row — a million rows a file, and nearly all of them are not."""
        for fields in self._try(self._reader):
            record = self._record
            self._record = []
            if fields or record_text(record):
                yield self.line, fields, record

    def _try(self, reader) -> Iterator[list[str]]:
        while True:
            try:
                yield next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = self.line - len(self._record) + 1  # the record's first line
                raise FileRejected(
                    _csv_reason(str(exc), start, self.line), line=start, raw="".join(self._record)
                ) from None


def record_text(record: list[str]) -> str:
    """A record's text as the journal keeps it with a rejected row."""
    return "".join(record).rstrip("\r\n")[:RAW_LIMIT]


def _csv_reason(error: str, start: int, line: int) -> str:
    """The csv module's error (English) as a reason in Russian."""
    if error == "unexpected end of data":
        return f"Строка {start}: кавычка открыта и не закрыта до конца файла"
    if "expected after" in error:
        return f'Строка {line}: после закрывающей кавычки должна идти запятая; кавычку внутри поля пишут дважды: «""»'
    if "new-line character" in error:
        return f"Строка {line}: знак возврата каретки (CR) внутри поля без кавычек"
    if "field larger" in error:
        return f"Строка {line}: поле длиннее {csv.field_size_limit()} знаков"
    return f"Строка {line}: не удаётся разобрать CSV — проверьте кавычки"


def column_positions(kind: Kind, header: list[str]) -> list[int | None]:
    """Where each of the kind's columns is in the file (None: an absent optional column), or
    FileRejected saying in Russian what is wrong with the header."""
    present = [name for name in header if name]
    if not present:
        raise FileRejected("Первая строка пуста: в ней должны быть названия столбцов", line=1)
    if len(header) == 1:
        for mark, name in ((";", "точкой с запятой («;»)"), ("\t", "табуляцией"), ("|", "чертой («|»)")):
            if mark in header[0]:
                raise FileRejected(
                    f"Столбцы разделены {name}, а нужна запятая: сохраните файл как CSV с разделителем «,»", line=1
                )
    repeated = sorted({name for name in present if present.count(name) > 1})
    if repeated:
        raise FileRejected(f"В заголовке дважды встречаются столбцы: {', '.join(repeated)}", line=1)
    missing = [name for name in kind.required if name not in header]
    if missing:
        other = next((k for k in kinds.all_kinds() if k is not kind and set(k.required) <= set(header)), None)
        if other is not None:
            raise FileRejected(f"Это файл вида «{other.title}», а загружается «{kind.title}»", line=1)
        if len(missing) == len(kind.required):
            raise FileRejected(
                f"Это не файл вида «{kind.title}»: в заголовке нет ни одного из его столбцов "
                f"({', '.join(kind.required)})",
                line=1,
            )
        raise FileRejected(f"В заголовке нет столбцов: {', '.join(missing)}", line=1)
    return [header.index(c.name) if c.name in header else None for c in kind.columns]


def raw_lines(binary: BinaryIO, wanted: set[int]) -> dict[int, str]:
    """The text of some physical lines (for rows rejected by a check in SQL), in one pass."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    binary.seek(0)
    last = max(wanted)
    for number, raw in enumerate(binary, start=1):
        if number in wanted:
            found[number] = visible(raw.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n"))
        if number >= last:
            break
    return found
