"""{% meter_facts %} (portal/templatetags/meter_facts.py) writes what the template it replaced
wrote (tests/portal/old_templates/meter.html, kabinet/portal/templates/portal/readings/_meter.html
before step 8 of docs/performance.md), for every kind of meter state."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.template import engines
from django.utils import timezone
import pytest

from kabinet.billing.models import Service
from kabinet.portal.templatetags.meter_facts import meter_facts
from kabinet.readings.models import Meter, Reading
from kabinet.readings.states import MeterState

OLD = Path(__file__).parent / "old_templates" / "meter.html"
UTC = ZoneInfo("UTC")


def meter(zones: int) -> Meter:
    service = Service(code="electricity", name='Электроэнергия <"быт"> & Co', unit="кВт·ч")
    return Meter(pk=7, service=service, serial="0123", zones=zones, digits=6, verification_due=date(2031, 5, 9))


def reading(of: Meter, period: date, taken_at: datetime, source: str, *values: int) -> Reading:
    zones = dict(zip(("t1", "t2", "t3"), values, strict=False))
    return Reading(meter=of, period=period, taken_at=taken_at, source=source, **zones)


def states():
    for zones in (1, 2, 3):
        m = meter(zones)
        values = (12345, 678, 9)[:zones]
        # 21:30 UTC is the next day in Yekaterinburg: the day shown is the local one.
        previous = reading(m, date(2026, 10, 1), datetime(2026, 10, 24, 21, 30, tzinfo=UTC), "billing", *values)
        current = reading(m, date(2026, 11, 1), datetime(2026, 11, 23, 20, 5, tzinfo=UTC), "portal", *values)
        notice = "Срок поверки истёк <сегодня> & «завтра»."
        yield MeterState(m, None, None, "")
        yield MeterState(m, previous, None, "")
        yield MeterState(m, previous, current, notice)
        yield MeterState(m, None, current, notice)


@pytest.mark.parametrize("values_in_fields", [False, True])
@pytest.mark.parametrize("state", list(states()), ids=lambda s: f"{s.meter.zones}-{s.previous}-{s.current}")
def test_the_same_html_as_the_template_it_replaced(state, values_in_fields):
    old = engines["django"].from_string(OLD.read_text(encoding="utf-8"))
    with timezone.override(ZoneInfo("Asia/Yekaterinburg")):
        expected = old.render({"meter": state.meter, "state": state, "values_in_fields": values_in_fields})
        assert meter_facts(state.meter, state, values_in_fields) == expected
