"""`{% meter_facts meter state %}`: what «Передать показания» says of a meter before anything is
typed (its kind, the previous reading, the verification notice, what was already sent), written
by Python as the form fields are (core.form_html). As a template it was a tenth of the page's
CPU for one meter (docs/performance.md, step 8); tests compare it with that template."""

from datetime import date, datetime

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from kabinet.readings.models import Meter
from kabinet.readings.states import MeterState

register = template.Library()


@register.simple_tag
def meter_facts(meter: Meter, state: MeterState, values_in_fields: bool = False) -> SafeString:
    """`values_in_fields`: the form's fields give each previous value in their help, so only
    the previous reading's source is said here."""
    kind = "однотарифный" if meter.zones == 1 else f"{meter.zones} тарифные зоны"
    parts = [
        format_html(
            '<p class="muted">{}, {} · {} цифр до запятой · поверка до {}</p>\n',
            meter.service.name, kind, meter.digits, _day(meter.verification_due),
        )
    ]  # fmt: skip
    previous = state.previous
    if values_in_fields and previous:
        parts.append(format_html("<p>Источник предыдущих показаний: {}.</p>\n\n", _source(previous)))
    elif previous:
        parts.append(
            format_html(
                "<p>Предыдущие показания: <strong>{}</strong> от {} ({})</p>\n",
                _values(meter, state.previous_values), _day(previous.taken_at), _source(previous),
            )
        )  # fmt: skip
    else:
        parts.append(mark_safe("<p>Предыдущие показания: нет</p>\n"))
    if state.notice:
        parts.append(
            format_html(
                '<div class="alert alert-warning meter-notice"><p>{}</p><p><a href="{}">Создать обращение о поверке'
                "</a></p></div>",
                state.notice, reverse("portal:appeal_new"),
            )
        )  # fmt: skip
    parts.append(mark_safe("\n"))
    if current := state.current:
        parts.append(
            format_html(
                '<p class="hint">Показания за {} уже переданы {}: {}. Новые показания заменят их.</p>',
                dateformat.format(current.period, "F Y").lower(),
                dateformat.format(timezone.localtime(current.taken_at), "d.m.Y H:i"),
                _values(meter, state.current_values),
            )
        )
    parts.append(mark_safe("\n"))
    return mark_safe("".join(parts))  # noqa: S308 -- each part escaped by format_html


def _values(meter: Meter, pairs: list[tuple[str, int]]) -> SafeString:
    if meter.zones > 1:
        return mark_safe("; ".join(f"{conditional_escape(label)} — {value}" for label, value in pairs))  # noqa: S308
    return mark_safe("; ".join(str(value) for _, value in pairs))  # noqa: S308 -- integers


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value:%d.%m.%Y}"


def _source(reading) -> str:
    return reading.get_source_display().lower()
