"""The pieces of «Передать показания» written by Python (portal/templatetags/readings_page.py) write
what the templates they replaced wrote: the page is drawn from each response's own context by
the current template and by a copy of the template before step 10 of docs/performance.md
(tests/portal/old_templates/readings_submit.html, its includes written in), for the states the
page has: the form unbound, refused values, warnings asked and confirmed, the window closed, and
names with markup in them."""

from datetime import date
from pathlib import Path
from unittest import mock

from django.forms import BooleanField, Form
from django.template import engines
import pytest

from kabinet.billing.models import Service
from kabinet.portal.templatetags.readings_page import _confirmation, readings_tabs, readings_window_line
from kabinet.readings.window import Window
from tests.factories import add_reading, make_meter, monthly

# The window's fixtures and the clock of the readings page's tests.
from tests.portal.test_readings import (  # noqa: F401
    LAST_MONTH,
    THIS_MONTH,
    _at_collection_time,
    closed_window,
    open_window,
    signed_in,
    url,
)

OLD = Path(__file__).parent / "old_templates"
HOSTILE = "<b>\"&'</b>"


def drawn_alike(response) -> str:
    """The page from the response's context by the old template and by the current one, which
    must be the same; returns it."""
    assert response.templates[0].name == "portal/readings/submit.html"
    context = response.context[0].flatten()  # the page's own, with its CSRF token, over the processors'
    request = response.wsgi_request  # its resolver_match: {% url %} and the tabs find the namespace
    engine = engines["django"]
    old = engine.from_string((OLD / "readings_submit.html").read_text(encoding="utf-8")).render(context, request)
    new = engine.get_template("portal/readings/submit.html").render(context, request)
    assert new == old
    return new


@pytest.fixture
def meters(account):
    """A meter of each kind the page draws: two zones with a reading, one with none, one past its
    verification date with a year of readings; markup in a serial and in the service's name."""
    two_zone = make_meter(account, zones=2, digits=5, serial="76543210")
    add_reading(two_zone, LAST_MONTH, 99900, 500)
    fresh = make_meter(account, serial=HOSTILE)
    overdue = make_meter(account, serial="555", verification_due=THIS_MONTH.replace(year=THIS_MONTH.year - 1))
    monthly(overdue, (1000,), (100,), last=THIS_MONTH)
    Service.objects.filter(pk=two_zone.service_id).update(name=HOSTILE)
    return two_zone, fresh, overdue


def test_the_form_unbound(signed_in, open_window, account, meters):  # noqa: F811
    page = drawn_alike(signed_in.get(url(account)))
    assert "Приём показаний за" in page and "&lt;b&gt;&quot;&amp;&#x27;&lt;/b&gt;" in page


def test_refused_values_and_warnings_asked(signed_in, open_window, account, meters):  # noqa: F811
    two_zone, fresh, overdue = meters
    data = {f"m{two_zone.pk}-t1": "100", f"m{two_zone.pk}-t2": "21,5", f"m{fresh.pk}-t1": HOSTILE,
            f"m{overdue.pk}-t1": "9000"}  # fmt: skip
    response = signed_in.post(url(account), data)
    assert response.status_code == 400
    page = drawn_alike(response)
    assert 'type="checkbox"' in page and "field-invalid" in page


def test_warnings_confirmed_while_another_value_is_wrong(signed_in, open_window, account, meters):  # noqa: F811
    two_zone, fresh, overdue = meters
    data = {f"m{two_zone.pk}-t1": "100", f"m{two_zone.pk}-t2": "600", f"m{fresh.pk}-t1": "",
            f"m{overdue.pk}-t1": "9000", f"m{two_zone.pk}-confirm-wrap-t1": "on",
            f"m{overdue.pk}-confirm-unusual": "on"}  # fmt: skip
    response = signed_in.post(url(account), data)
    assert response.status_code == 400
    page = drawn_alike(response)
    assert " checked>" in page and 'class="help"' in page


def test_a_reading_already_sent(signed_in, open_window, account, meters):  # noqa: F811
    two_zone, *_ = meters
    add_reading(two_zone, THIS_MONTH, 99950, 550)
    assert "уже переданы" in drawn_alike(signed_in.get(url(account)))


def test_the_window_closed(signed_in, closed_window, account, meters):  # noqa: F811
    page = drawn_alike(signed_in.get(url(account)))
    assert "Сейчас показания не принимаются" in page


def test_markup_in_a_confirmation_and_the_window_line_is_escaped_as_the_templates_did():
    """The pages' own texts hold no markup; these hold it to Django's escaping all the same."""
    form = Form({})
    form.fields["confirm"] = BooleanField(label=HOSTILE, help_text=HOSTILE, required=False)
    assert form.is_valid()
    form.add_error("confirm", HOSTILE)
    old = (OLD / "readings_submit.html").read_text(encoding="utf-8")
    start = old.index('<div class="field field-checkbox confirm')
    confirm = old[start : old.index("{% endwith %}", start)]
    expected = engines["django"].from_string(confirm).render({"field": form["confirm"]})
    assert _confirmation(form["confirm"]) == expected
    assert "&lt;b&gt;" in expected and "<b>" not in expected

    window = Window(date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 5), 1, 30)
    line = old[old.index('readings-window">') + len('readings-window">') : old.index("</p>\n{% if refusal %}")]
    with mock.patch.object(Window, "rule", HOSTILE):
        expected = engines["django"].from_string("{% load kabinet %}" + line).render({"window": window})
        assert readings_window_line(window) == expected
    assert expected.startswith("&lt;b&gt;")


@pytest.mark.parametrize("current", ["submit", "history", "other"])
def test_the_tabs(current):
    old = engines["django"].from_string((OLD / "readings_tabs.html").read_text(encoding="utf-8"))
    expected = old.render({"account": {"pk": 42}, "tab": current})
    assert readings_tabs({}, 42, current) == expected
