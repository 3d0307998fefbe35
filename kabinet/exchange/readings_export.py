"""The export of readings customers submitted in Kabinet (formats/readings-export.md), marked
exported by `ExportedReading`; the file, journal and marking are exports.run_export's."""

from datetime import date
from pathlib import Path

from kabinet.exchange.exports import ExportKind, blank, local_iso, run_export
from kabinet.exchange.models import ExportBatch, ExportedReading
from kabinet.readings.models import Reading


def _portal():
    return Reading.objects.filter(source=Reading.Source.PORTAL)


def _row(values: tuple) -> list:
    pk, region, account, service, serial, month, t1, t2, t3, taken_at, replaces = values
    zones = [t1, blank(t2), blank(t3)]
    return [region, account, service, serial, f"{month:%Y-%m}", *zones, local_iso(taken_at), pk, blank(replaces)]


def _mark(batch: ExportBatch, ids: list[int]) -> None:
    # set-based: not shown (export marks)
    ExportedReading.objects.bulk_create(ExportedReading(reading_id=pk, batch=batch) for pk in ids)


READINGS = ExportKind(
    name="readings",
    header=(
        "region",
        "account",
        "service",
        "meter",
        "month",
        "t1",
        "t2",
        "t3",
        "submitted_at",
        "reading_id",
        "replaces",
    ),
    fields=(
        "pk",
        "meter__account__region__code",
        "meter__account__number",
        "meter__service__code",
        "meter__serial",
        "period",
        "t1",
        "t2",
        "t3",
        "taken_at",
        "replaces__pk",
    ),
    new=lambda: _portal().filter(export__isnull=True),
    of_month=lambda period: _portal().filter(period=period),
    row=_row,
    mark=_mark,
    what="показаний",
    nothing_new="Новых показаний нет, файл не создан.",
)


def export_readings(
    *, period: date | None = None, out_dir: Path | None = None, source: str, user=None, progress=None
) -> ExportBatch:
    """Every Kabinet reading not exported yet, or a month's (`period`) again."""
    return run_export(READINGS, period=period, out_dir=out_dir, source=source, user=user, progress=progress)
