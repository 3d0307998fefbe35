"""«Передать показания» written by Python where its templates cost the most: the window's line,
the tabs over the page and its history, the form's fieldsets (each meter with its fields and
confirmations) and the rows of «История показаний». With the window open, the days customers
send readings, these were about a third of the page's rendering (docs/performance.md, step 10);
a history's rows, two years of a meter, were most of that page's (step 12). Like the form
fields they are made of (core.form_html), they write the bytes of the templates they replaced:
tests/portal/test_readings.py holds them to copies of those templates."""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms import BoundField, Form
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kabinet.billing.models import PersonalAccount
from kabinet.core.form_html import errors_html, field_html, text
from kabinet.core.templatetags.cached_url import cached_reverse, current_app_of, reversing_with
from kabinet.core.templatetags.kabinet import nbsp
from kabinet.core.templatetags.numeric_dates import date
from kabinet.portal.readings_forms import MeterBlock, previous_help, value_field, value_name
from kabinet.portal.templatetags.meter_facts import meter_facts
from kabinet.readings.history import HistoryRow, MeterHistory
from kabinet.readings.models import Meter
from kabinet.readings.states import MeterState
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


# The page's head and tabs are the same for every account but its number, address and id: drawn
# once per process for each page and what URLs depend on, the id as a placeholder (an account with
# that very id still gets its own: only the tabs' two URLs are written over), then the account's
# written in (docs/performance.md, step 24). Its home link and two tabs were
# three reversals and a dozen template nodes a view.
_ID = 2_146_999_971
MAX_DRAWINGS = 32  # a page (2) by the namespace's instance, URLconf, script prefix and language
_heads: dict[tuple, tuple[str, str] | None] = {}
TITLES = {tab: label for tab, _, label in TABS}


@register.simple_tag(takes_context=True)
def readings_head(context: template.Context, account: PersonalAccount, current: str) -> SafeString:
    """The link home, the page's title, the account's number and address, and the tabs."""
    app, reversing = current_app_of(context), reversing_with()
    key = (current, app, *reversing)
    try:
        drawn = _heads[key]
    except KeyError:
        if len(_heads) >= MAX_DRAWINGS:
            _heads.clear()
        drawn = _heads[key] = _draw_head(current, app, reversing)
    if drawn is None:  # the placeholder met elsewhere in a URL (a script prefix): drawn as it is
        start, tabs = _head_start(current, app, reversing), _tabs(account.pk, current, app, reversing)
    else:
        start, tabs = drawn[0], drawn[1].replace(str(_ID), str(account.pk))
    line = f'<p class="muted">Лицевой счёт {text(account.number)} · {text(account.premises.address)}</p>\n'
    return mark_safe(start + line + tabs)  # noqa: S308 -- escaped above and when drawn


def _draw_head(current: str, app: str | None, reversing: tuple) -> tuple[str, str] | None:
    start, tabs = _head_start(current, app, reversing), _tabs(_ID, current, app, reversing)
    if str(_ID) in start or tabs.count(str(_ID)) != len(TABS):
        return None
    return start, tabs


def _head_start(current: str, app: str | None, reversing: tuple) -> str:
    home = text(cached_reverse("portal:home", (), {}, app, reversing))
    return f'<p><a href="{home}">← Главная</a></p>\n<h1>{TITLES[current]}</h1>\n'


@receiver(setting_changed)
def _forget_heads(**kwargs) -> None:
    """Tests change the URLconf with override_settings."""
    _heads.clear()


def _tabs(account_id: int, current: str, app: str | None, reversing: tuple) -> str:
    """The two tabs of an account's readings, `current` ("submit" or "history") marked."""
    links = "".join(
        f'\n  <a href="{text(cached_reverse(name, (account_id,), {}, app, reversing))}"'
        f"{CURRENT if tab == current else ''}>{label}</a>"
        for tab, name, label in TABS
    )
    return f'<nav class="tabs" aria-label="Показания">{links}\n</nav>\n'


@register.simple_tag
def readings_fieldsets(blocks: list[MeterBlock] | None, states: list[MeterState] = ()) -> SafeString:
    """Each meter's <fieldset>: its facts, a field per zone with the zone's wrap confirmation
    when asked, and the confirmation of unusual consumption when asked. No blocks: the form
    unbound (every GET), written from the meters' `states` without building it."""
    if blocks is None:
        return mark_safe("".join(_unbound_fieldset(state) for state in states))  # noqa: S308 -- escaped by the parts
    return mark_safe("".join(_fieldset(block) for block in blocks))  # noqa: S308 -- escaped by the parts


def _fieldset(block: MeterBlock) -> str:
    zones = [(field_html(row.value), _confirmation(row.confirm) if row.confirm else "") for row in block.zones]
    return _fieldset_html(block.meter, block.state, zones, _confirmation(block.unusual) if block.unusual else "")


def _fieldset_html(meter: Meter, state: MeterState, zones: list[tuple[str, str]], unusual: str) -> str:
    """A meter's <fieldset> from its zones' field groups and confirmations."""
    zone_html = "".join(
        f'\n      <div class="reading-zone">\n        {group}\n        {confirm}\n      </div>\n    '
        for group, confirm in zones
    )
    return (
        f'\n  <fieldset class="card meter">\n    <legend>Счётчик № {text(meter.serial)}</legend>\n'
        f'    <div class="meter-facts">{meter_facts(meter, state, True)}</div>\n'
        f'    <div class="reading-zones">\n    {zone_html}\n    </div>\n'
        f"    {unusual}\n  </fieldset>\n  "
    )


# An unbound zone field's group differs from meter to meter only by its name and help: drawn once
# per process for each label, with and without help, from the form's own field (`value_field`)
# with placeholders for the two, then written in. Building the form and drawing its bound fields
# was about a seventh of the page's work a view (docs/performance.md, step 24).
_NAME, _HELP = "\x1fname\x1f", "\x1fhelp\x1f"
_groups: dict[tuple[str, bool], str] = {}  # a zone's label (ZONE_LABELS: six) with help or not


def _unbound_fieldset(state: MeterState) -> str:
    meter = state.meter
    zones = []
    for zone, label in zip(meter.zone_fields, meter.zone_labels, strict=True):
        help_text = previous_help(state, zone)
        group = _groups.get((label, bool(help_text))) or _draw_group(label, bool(help_text))
        zones.append((group.replace(_NAME, value_name(meter, zone)).replace(_HELP, help_text), ""))
    return _fieldset_html(meter, state, zones, "")


def _draw_group(label: str, with_help: bool) -> str:
    form = Form()
    form.fields[_NAME] = value_field(label, _HELP if with_help else "")
    group = _groups[(label, with_help)] = str(field_html(form[_NAME]))
    return group


@receiver(setting_changed)
def _forget_groups(**kwargs) -> None:
    """Tests change the form renderer or the language with override_settings."""
    _groups.clear()


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
