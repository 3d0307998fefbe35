"""«Передать показания» written by Python where its templates cost the most: the window's line,
the tabs over the page and its history, the form's fieldsets (each meter with its fields and
confirmations) and the rows of «История показаний». With the window open, the days customers
send readings, these were about a third of the page's rendering (docs/performance.md, step 10);
a history's rows, two years of a meter, were most of that page's (step 12). Like the form
fields they are made of (core.form_html), they write the bytes of the templates they replaced:
tests/portal/test_readings.py holds them to copies of those templates."""

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kabinet.core.form_html import errors_html, field_html, text
from kabinet.core.templatetags.cached_url import cached_reverse, current_app_of
from kabinet.core.templatetags.kabinet import nbsp
from kabinet.core.templatetags.numeric_dates import date
from kabinet.portal.readings_forms import MeterBlock
from kabinet.portal.templatetags.meter_facts import meter_facts
from kabinet.readings.history import HistoryRow, MeterHistory
from kabinet.readings.window import Window

register = template.Library()

CURRENT = ' aria-current="page"'
TABS = (
    ("submit", "portal:readings", "Передать показания"),
    ("history", "portal:readings_history", "История показаний"),
)


@register.simple_tag
def readings_window_line(window: Window) -> SafeString:
    """«Показания принимаются с 15 по 25 число. Приём показаний за ноябрь 2026 открыт по 25 ноября
    2026 г. включительно.» The second sentence only while the window is open."""
    line = f"{text(window.rule)}."
    if window.is_open:
        month = nbsp(date(window.period, "F Y").lower())
        ends = nbsp(date(window.ends, "j E Y г."))
        line += f" Приём показаний за {text(month)} открыт по {text(ends)} включительно."
    return mark_safe(line)  # noqa: S308 -- escaped above


@register.simple_tag(takes_context=True)
def readings_tabs(context: template.Context, account_id: int, current: str) -> SafeString:
    """The two tabs of an account's readings, `current` ("submit" or "history") marked."""
    app = current_app_of(context)
    links = "".join(
        f'\n  <a href="{text(cached_reverse(name, (account_id,), {}, app))}"'
        f"{CURRENT if tab == current else ''}>{label}</a>"
        for tab, name, label in TABS
    )
    return mark_safe(f'<nav class="tabs" aria-label="Показания">{links}\n</nav>\n')  # noqa: S308 -- escaped above


@register.simple_tag
def readings_fieldsets(blocks: list[MeterBlock]) -> SafeString:
    """Each meter's <fieldset>: its facts, a field per zone with the zone's wrap confirmation
    when asked, and the confirmation of unusual consumption when asked."""
    return mark_safe("".join(_fieldset(block) for block in blocks))  # noqa: S308 -- escaped by the parts


def _fieldset(block: MeterBlock) -> str:
    zones = "".join(
        f'\n      <div class="reading-zone">\n        {field_html(row.value)}\n'
        f"        {_confirmation(row.confirm) if row.confirm else ''}\n      </div>\n    "
        for row in block.zones
    )
    return (
        f'\n  <fieldset class="card meter">\n    <legend>Счётчик № {text(block.meter.serial)}</legend>\n'
        f'    <div class="meter-facts">{meter_facts(block.meter, block.state, True)}</div>\n'
        f'    <div class="reading-zones">\n    {zones}\n    </div>\n'
        f"    {_confirmation(block.unusual) if block.unusual else ''}\n  </fieldset>\n  "
    )


def _confirmation(field: BoundField) -> str:
    """A confirmation checkbox with the warning it answers (its error until checked, then its
    help)."""
    auto_id = text(field.auto_id)
    errors = field.errors
    invalid = " field-invalid" if errors else ""
    error_list = errors_html(field, errors) if errors else ""
    help_html = f'<p class="help" id="{auto_id}_helptext">{text(field.help_text)}</p>' if field.help_text else ""
    return (
        f'<div class="field field-checkbox confirm{invalid}">\n{error_list}\n{help_html}\n'
        f'  <div class="checkbox-row">{text(field)} <label for="{auto_id}">{text(field.label)}</label></div>\n</div>\n'
    )


@register.simple_tag
def readings_history_rows(history: MeterHistory) -> SafeString:
    """A meter's history table's rows, newest first: the month (and when a reading was replaced),
    each zone's reading and consumption (over how many months, when more than one), the source
    and the day it was taken."""
    unit = text(history.meter.service.unit)
    return mark_safe("".join(_history_row(row, unit) for row in history.rows))  # noqa: S308 -- escaped by the parts


def _history_row(row: HistoryRow, unit: str) -> str:
    reading = row.reading
    replaced = row.replaced
    badge = ""
    if replaced:
        when = _local_date(reading.replaced_by.taken_at, "d.m.Y H:i")
        badge = f'<br><span class="badge">заменено {text(when)}</span>'
    over = f' <span class="muted">за {text(row.months)} мес.</span>' if row.months > 1 else ""
    cells = "".join(
        f'<td data-label="{text(label)}">{"—" if value is None else text(value)}</td>'
        f'<td data-label="Расход {text(label)}, {unit}">{"—" if used is None else text(used) + over}</td>'
        for label, value, used in row.cells
    )
    css = ' class="reading-replaced"' if replaced else ""
    return (
        f"\n      <tr{css}>\n"
        f'        <th scope="row">{text(date(reading.period, "F Y"))}{badge}</th>\n'
        f"        {cells}\n"
        f'        <td data-label="Источник">{text(reading.get_source_display())}</td>\n'
        f'        <td data-label="Дата">{text(_local_date(reading.taken_at, "d.m.Y"))}</td>\n'
        "      </tr>\n    "
    )


def _local_date(moment, pattern: str) -> str:
    """The `date` filter as a template applies it: to the moment in the current time zone."""
    return date(timezone.template_localtime(moment), pattern)
