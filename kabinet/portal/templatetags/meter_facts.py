"""`{% meter_facts meter state %}`: what «Передать показания» says of a meter before anything is
typed (its kind, the previous reading, the verification notice, what was already sent), written
by Python as the form fields are (core.form_html). As a template it was a tenth of the page's
CPU for one meter (docs/performance.md, step 8); tests compare it with that template."""

from datetime import date, datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe

from kabinet.core.form_html import text
from kabinet.core.templatetags.cached_url import cached_reverse
from kabinet.readings.models import Meter, Reading
from kabinet.readings.states import MeterState

register = template.Library()


@register.simple_tag
def meter_facts(meter: Meter, state: MeterState, values_in_fields: bool = False) -> SafeString:
    """`values_in_fields`: the form's fields give each previous value in their help, so only
    the previous reading's source is said here."""
    # f-strings with core.form_html's escaping (what format_html writes, without its lazy-aware
    # wrappers: a third of drawing a meter, docs/performance.md step 24).
    kind = "однотарифный" if meter.zones == 1 else f"{meter.zones} тарифные зоны"
    parts = [
        f'<p class="muted">{text(meter.service.name)}, {kind} · {meter.digits} цифр до запятой · поверка до '
        f"{_day(meter.verification_due)}</p>\n"
    ]
    previous = state.previous
    if values_in_fields and previous:
        parts.append(f"<p>Источник предыдущих показаний: {text(_source(previous))}.</p>\n\n")
    elif previous:
        parts.append(
            f"<p>Предыдущие показания: <strong>{_values(meter, state.previous_values)}</strong> от "
            f"{_day(previous.taken_at)} ({text(_source(previous))})</p>\n"
        )
    else:
        parts.append("<p>Предыдущие показания: нет</p>\n")
    if state.notice:
        new_appeal = text(cached_reverse("portal:appeal_new", (), {}, None))
        parts.append(
            f'<div class="alert alert-warning meter-notice"><p>{text(state.notice)}</p><p><a href="{new_appeal}">'
            "Создать обращение о поверке</a></p></div>"
        )
    parts.append("\n")
    if current := state.current:
        month = text(dateformat.format(current.period, "F Y").lower())
        sent = text(dateformat.format(timezone.localtime(current.taken_at), "d.m.Y H:i"))
        parts.append(
            f'<p class="hint">Показания за {month} уже переданы {sent}: {_values(meter, state.current_values)}. '
            "Новые показания заменят их.</p>"
        )
    parts.append("\n")
    return mark_safe("".join(parts))  # noqa: S308 -- each value escaped above


def _values(meter: Meter, pairs: list[tuple[str, int]]) -> str:
    """The labels escaped; the values integers, as str() writes them (never grouped)."""
    if meter.zones > 1:
        return "; ".join(f"{text(label)} — {value}" for label, value in pairs)
    return "; ".join(str(value) for _, value in pairs)


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value:%d.%m.%Y}"


# What `get_source_display()` gives, without its look-up of the choices on every call.
_SOURCES = dict(Reading.Source.choices)


def _source(reading: Reading) -> str:
    return _SOURCES.get(reading.source, reading.source).lower()
