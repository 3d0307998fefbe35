"""The engine's builtins for the layout: {% static %} answered from a per-process cache, and
|date writing the all-digit formats itself — each the same text as Django's own."""

import datetime
from zoneinfo import ZoneInfo

from django.template import engines
from django.template.defaultfilters import date as django_date
from django.templatetags.static import StaticNode, static
from django.test import override_settings
from django.utils import translation
import pytest

from kabinet.core.templatetags import numeric_dates
from kabinet.core.templatetags.cached_static import CachedStaticNode

MOSCOW = ZoneInfo("Europe/Moscow")


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_layout_uses_the_cached_static_tag():
    layout = engines["django"].engine.get_template("core/base.html")
    nodes = layout.nodelist.get_nodes_by_type(StaticNode)
    assert nodes and all(isinstance(node, CachedStaticNode) for node in nodes)


def test_pages_date_through_the_numeric_filter():
    parsed = engines["django"].from_string('{{ day|date:"d.m.Y" }}').template.nodelist[0].filter_expression
    assert parsed.filters[0][0] is numeric_dates.date


@pytest.mark.parametrize("fmt", ["d.m.Y", "d.m.Y H:i", "F Y", "j E Y г."])
def test_a_templates_literal_format_is_written_without_djangos_filter(monkeypatch, fmt):
    # A literal argument reaches the filter as a SafeString: it must still take the fast path.
    day = datetime.datetime(2026, 5, 9, 10, 30, tzinfo=datetime.UTC)
    expected = render(f'{{{{ value|date:"{fmt}" }}}}', value=day)
    monkeypatch.setattr(numeric_dates, "django_date", lambda *args: pytest.fail("went to Django's filter"))
    assert render(f'{{{{ value|date:"{fmt}" }}}}', value=day) == expected


def test_static_urls_as_djangos_and_follow_the_settings():
    assert render("{% static 'core/kabinet.css' %}") == static("core/kabinet.css")
    assert render("{% static path as link %}[{{ link }}]", path="a b.css") == f"[{static('a b.css')}]"
    with override_settings(STATIC_URL="/elsewhere/"):
        assert render("{% static 'core/kabinet.css' %}") == "/elsewhere/core/kabinet.css"


# Every format the templates use, and ones the filter must hand to Django's (other letters, an
# escape, braces that are text to Django and syntax to str.format).
FORMATS = ["d.m.Y", "d.m.Y H:i", "j E Y", "F Y", "E Y", "j E Y г.", "j E Y, H:i", "j E Y H:i", "H:i:s", "c", "Y-m-d",
           "N j, Y", r"\d Y", "{d} {0} }{", "", None]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "value",
    [
        *(datetime.date(2026, month, 5) for month in range(1, 13)),
        datetime.date(987, 12, 31),
        datetime.datetime(2026, 11, 30, 23, 31, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 1, 0, 5),
        None,
        "",
        "30.11.2026",
    ],
)
def test_date_writes_what_djangos_filter_writes(settings, value, fmt):
    settings.TIME_ZONE = "Europe/Moscow"
    source = "{{ value|date }}" if fmt is None else f'{{{{ value|date:"{fmt}" }}}}'
    local = value.astimezone(MOSCOW) if isinstance(value, datetime.datetime) and value.tzinfo else value
    try:
        expected = django_date(local, fmt)
    except TypeError:  # a time format for a date: Django's filter refuses, and so does ours
        with pytest.raises(TypeError):
            render(source, value=value)
        return
    assert render(source, value=value) == expected


@pytest.mark.parametrize("fmt", ["F Y", "j E Y"])
def test_month_names_in_the_active_language(fmt):
    day = datetime.date(2026, 5, 9)
    with translation.override("en"):
        assert (
            render(f'{{{{ value|date:"{fmt}" }}}}', value=day)
            == django_date(day, fmt)
            == day.strftime("%B %Y" if fmt == "F Y" else "9 %B %Y")
        )
    assert render(f'{{{{ value|date:"{fmt}" }}}}', value=day) == django_date(day, fmt)
