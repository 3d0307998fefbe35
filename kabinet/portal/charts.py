"""Bar charts drawn on the server as inline SVG: no script, nothing external, and a text
table beside each for screen readers and for people who prefer numbers."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Drawn at about a phone's width, so the 11px labels stay readable there; the picture scales up
# on wider screens (up to the CSS max-height).
WIDTH, HEIGHT = 360, 190
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 46, 6, 10, 24
MAX_LABELS = 8


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar, short: «10.26»
    title: str  # the tooltip and accessible name: «Октябрь 2026: 245 кВт·ч»
    value: Decimal


def _n(value: float) -> str:
    """Coordinates as text: format_html escapes its arguments into strings first."""
    return f"{value:.1f}"


def _ticks(low: Decimal, high: Decimal) -> list[Decimal]:
    """Three to six round gridline values spanning low..high."""
    span = max(high - low, Decimal(1))
    step = Decimal(1)
    for candidate in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        step = Decimal(candidate)
        if span / step <= 5:
            break
    start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    ticks = [start]
    while ticks[-1] < high or len(ticks) < 2:
        ticks.append(ticks[-1] + step)
    return ticks


def bar_chart(bars: list[Bar], *, chart_id: str, title: str, unit: str) -> SafeString:
    """Bars for positive and negative values (debt above the axis, overpayment below)."""
    if not bars:
        return SafeString("")
    values = [bar.value for bar in bars]
    ticks = _ticks(min(min(values), Decimal(0)), max(max(values), Decimal(0)))
    low, high = ticks[0], ticks[-1]
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT

    def y(value: Decimal) -> float:
        return PAD_TOP + float((high - value) / (high - low or 1)) * plot_h

    slot = plot_w / len(bars)
    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
        ((PAD_LEFT, WIDTH - PAD_RIGHT, _n(y(t)), _n(y(t)), PAD_LEFT - 6, _n(y(t) + 4), f"{t:,.0f}".replace(",", " "))
         for t in ticks),
    )  # fmt: skip
    rects = format_html_join(
        "",
        '<rect class="chart-bar {}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        (
            (
                "chart-bar-negative" if bar.value < 0 else "",
                _n(PAD_LEFT + i * slot + slot * 0.15),
                _n(min(y(bar.value), y(Decimal(0)))),
                _n(slot * 0.7),
                _n(max(abs(y(bar.value) - y(Decimal(0))), 0.5)),
                bar.title,
            )
            for i, bar in enumerate(bars)
        ),
    )
    step = -(-len(bars) // MAX_LABELS)  # ceiling division
    labels = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_n(PAD_LEFT + i * slot + slot / 2), HEIGHT - 7, bar.label) for i, bar in enumerate(bars) if i % step == 0),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">{}</title>'
        '<desc id="{}-desc">Значения, {}, приведены в таблице под графиком.</desc>{}'
        '<line class="chart-axis" x1="{}" x2="{}" y1="{}" y2="{}"/>{}{}</svg>',
        WIDTH, HEIGHT, chart_id, chart_id, chart_id, title, chart_id, unit, grid,
        PAD_LEFT, WIDTH - PAD_RIGHT, _n(y(Decimal(0))), _n(y(Decimal(0))), rects, labels,
    )  # fmt: skip
