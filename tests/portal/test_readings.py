"""«Передать показания» and «История показаний»: fields per zone, errors at the field with
nothing typed lost, confirmations that appear with their warnings, the window, the history.

The pages use today's date; each test sets the region's window around it instead of freezing time."""

from calendar import monthrange
from datetime import date, datetime, time, timedelta
from pathlib import Path
import re
from unittest import mock

from django.db import DatabaseError
from django.forms import BooleanField, Form
from django.template import engines
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import timezone
from django.utils.formats import date_format
import pytest
import time_machine

from kabinet.billing.models import Service
from kabinet.billing.periods import add_months
from kabinet.identity.models import AccountLink
from kabinet.portal.readings_forms import ReadingsForm
from kabinet.portal.templatetags import readings_page
from kabinet.portal.templatetags.readings_page import (
    _confirmation,
    readings_fieldsets,
    readings_head,
    readings_window_line,
)
from kabinet.readings.history import meter_histories
from kabinet.readings.models import Reading
from kabinet.readings.states import meter_states
from kabinet.readings.window import Window
from tests.factories import add_reading, customer_login, make_account, make_customer, make_meter, monthly

# Taken when the module is collected, and every test runs at that moment (the clock ticking on):
# a suite crossing local midnight meanwhile would otherwise find the window set around yesterday.
COLLECTED = timezone.now()
TODAY = timezone.localdate(COLLECTED)
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = add_months(THIS_MONTH, -1)


@pytest.fixture(autouse=True)
def _at_collection_time():
    with time_machine.travel(COLLECTED):
        yield


@pytest.fixture
def open_window(sverdlovsk):
    sverdlovsk.readings_from_day, sverdlovsk.readings_to_day = 1, 31
    sverdlovsk.save()
    return sverdlovsk


@pytest.fixture
def closed_window(sverdlovsk):
    other_day = TODAY.day % 28 + 1  # any day but today
    sverdlovsk.readings_from_day = sverdlovsk.readings_to_day = other_day
    sverdlovsk.save()
    return sverdlovsk


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


@pytest.fixture
def two_zone(account):
    meter = make_meter(account, zones=2, serial="76543210")
    add_reading(meter, add_months(THIS_MONTH, -2), 4800, 1900)
    add_reading(meter, LAST_MONTH, 5000, 2000)
    return meter


def url(account, name="portal:readings"):
    return reverse(name, kwargs={"account_id": account.pk})


def test_page_shows_each_meter_with_its_previous_reading_and_a_field_per_zone(
    signed_in, open_window, account, two_zone
):
    single = make_meter(account, serial="11112222")
    page = signed_in.get(url(account)).content.decode()
    for text in ["Передать показания", "Счётчик № 76543210", "Счётчик № 11112222",
                 "Показания принимаются с 1 по 31 число", "Предыдущие показания: нет",
                 "Источник предыдущих показаний: клиент через личный кабинет."]:  # fmt: skip
        assert text in page, text
    # Each previous value once, beside its field, not again in a line above the fields.
    assert "День (Т1) — 5000" not in page
    assert f'<label for="id_m{two_zone.pk}-t1">День (Т1)' in page
    assert f'<label for="id_m{two_zone.pk}-t2">Ночь (Т2)' in page
    assert f'<label for="id_m{single.pk}-t1">Показание' in page
    assert f"Предыдущее показание: 5000 от 20.{LAST_MONTH:%m.%Y}" in page
    assert 'inputmode="numeric"' in page


def test_the_previous_reading_s_day_is_the_customer_s(signed_in, open_window, account):
    """Sent at 02:30 in Yekaterinburg on the 21st, which is still the 20th in UTC: the field's help
    says the 21st, as the history and the meter's facts do."""
    meter = make_meter(account, serial="11112222")
    local = timezone.make_aware(datetime.combine(LAST_MONTH.replace(day=21), time(2, 30)))
    add_reading(meter, LAST_MONTH, 5000, taken_at=local)
    page = signed_in.get(url(account)).content.decode()
    assert f"Предыдущее показание: 5000 от 21.{LAST_MONTH:%m.%Y}" in page


def test_the_window_of_the_region_is_shown(signed_in, sverdlovsk, account, two_zone):
    page = signed_in.get(url(account)).content.decode()
    assert "Показания принимаются с 15 по 25 число" in page


def test_outside_the_window_the_form_says_when_it_opens(signed_in, closed_window, account, two_zone):
    response = signed_in.get(url(account))
    page = response.content.decode()
    assert "Сейчас показания не принимаются. Приём откроется" in page
    assert '<form method="post" class="form readings-form"' not in page
    assert "День (Т1) — 5000" in page  # the meters and their readings are still shown
    posted = signed_in.post(url(account), {f"m{two_zone.pk}-t1": "5100", f"m{two_zone.pk}-t2": "2050"})
    assert posted.status_code == 400
    assert not Reading.objects.filter(period__gte=THIS_MONTH).exists()


def test_the_closed_window_message_has_one_full_stop(signed_in, closed_window, account, two_zone):
    """«Приём откроется 15 декабря 2026 г.» — the date's «г.» ends the sentence (issue 11, point 16)."""
    day = closed_window.readings_from_day
    opens = THIS_MONTH.replace(day=day) if day > TODAY.day else add_months(THIS_MONTH, 1).replace(day=day)
    page = signed_in.get(url(account)).content.decode()
    expected = f"Сейчас показания не принимаются. Приём откроется {date_format(opens, 'j E Y')} г."
    assert f"<strong>{expected}</strong>" in page
    assert "г.." not in page


def test_submit_stores_and_says_thank_you(signed_in, open_window, account, two_zone, customer):
    response = signed_in.post(url(account), {f"m{two_zone.pk}-t1": "5230", f"m{two_zone.pk}-t2": "2100"}, follow=True)
    assert response.redirect_chain == [(url(account), 302)]
    page = response.content.decode()
    ends = THIS_MONTH.replace(day=monthrange(THIS_MONTH.year, THIS_MONTH.month)[1])
    assert (
        f"Показания переданы. Спасибо! Если вы ошиблись, передайте их ещё раз до {ends:%d.%m.%Y} "
        "— новые показания заменят прежние."
    ) in page
    reading = Reading.objects.get(meter=two_zone, period=THIS_MONTH)
    assert reading.values == (5230, 2100) and reading.submitted_by == customer and reading.source == "portal"
    assert "уже переданы" in page and "Новые показания заменят их." in page


def test_a_rejected_value_keeps_the_others(signed_in, open_window, account, two_zone):
    single = make_meter(account, serial="11112222")
    add_reading(single, LAST_MONTH, 300)
    data = {f"m{two_zone.pk}-t1": "5230", f"m{two_zone.pk}-t2": "21,5", f"m{single.pk}-t1": "420"}
    response = signed_in.post(url(account), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Введите целое число — только цифры до запятой, без дробной части." in page
    assert re.search(rf'<input type="text" name="m{two_zone.pk}-t2" value="21,5"[^>]* aria-invalid="true"', page)
    assert 'value="5230"' in page and 'value="420"' in page and 'value="21,5"' in page
    assert page.count('aria-invalid="true"') == 1
    assert not Reading.objects.filter(period=THIS_MONTH).exists()


def test_error_is_tied_to_its_field(signed_in, open_window, account, two_zone):
    page = signed_in.post(url(account), {f"m{two_zone.pk}-t1": "5230", f"m{two_zone.pk}-t2": ""}).content.decode()
    field = f"id_m{two_zone.pk}-t2"
    assert f'aria-describedby="{field}_helptext {field}_error"' in page
    assert f'<div class="field-errors" id="{field}_error" role="alert"><p>Введите показание.</p></div>' in page


def test_unusual_consumption_asks_for_confirmation_then_stores(signed_in, open_window, account):
    meter = make_meter(account)
    monthly(meter, (1000,), (100,), last=THIS_MONTH)  # 100 a month; previous 2100
    data = {f"m{meter.pk}-t1": "3000"}
    first = signed_in.post(url(account), data)
    assert first.status_code == 400
    page = first.content.decode()
    name = f"m{meter.pk}-confirm-unusual"
    assert f'<input type="checkbox" name="{name}"' in page
    assert "Да, показания верны — расход действительно такой" in page
    assert "Расход 900 кВт·ч — более чем в 3 раза выше обычного" in page
    # The summary links the warning without the checkbox's label before it: one sentence, not two.
    assert f'<a href="#id_{name}">Расход 900 кВт·ч — более чем в 3 раза' in page
    assert 'value="3000"' in page
    assert not Reading.objects.filter(period=THIS_MONTH).exists()
    second = signed_in.post(url(account), {**data, name: "on"})
    assert second.status_code == 302 and second.url == url(account)
    assert Reading.objects.get(meter=meter, period=THIS_MONTH).unusual_confirmed


def test_no_checkbox_without_a_warning(signed_in, open_window, account, two_zone):
    page = signed_in.get(url(account)).content.decode()
    assert 'type="checkbox"' not in page


def test_a_confirmed_warning_stays_checked_while_another_value_is_wrong(signed_in, open_window, account):
    meter = make_meter(account, zones=2, digits=5)
    add_reading(meter, LAST_MONTH, 99900, 500)
    name = f"m{meter.pk}-confirm-wrap-t1"
    first = signed_in.post(url(account), {f"m{meter.pk}-t1": "100", f"m{meter.pk}-t2": "600"})
    page = first.content.decode()
    assert "Да, табло перешло через ноль — показание верное" in page
    assert "День (Т1): показание меньше предыдущего (99900)" in page
    assert f'id="id_m{meter.pk}-t1_error"' in page  # the warning stands at the day field
    second = signed_in.post(url(account), {f"m{meter.pk}-t1": "100", f"m{meter.pk}-t2": "6OO", name: "on"})
    assert second.status_code == 400
    page = second.content.decode()
    assert re.search(rf'<input type="checkbox" name="{name}"[^>]* checked>', page)
    assert "расход составит 200 кВт·ч" in page  # the warning stays as the checkbox's explanation
    assert f'id="id_m{meter.pk}-t1_error"' not in page
    third = signed_in.post(url(account), {f"m{meter.pk}-t1": "100", f"m{meter.pk}-t2": "600", name: "on"})
    assert third.status_code == 302 and third.url == url(account)
    reading = Reading.objects.get(meter=meter, period=THIS_MONTH)
    assert reading.wrapped and reading.values == (100, 600)


def test_a_failure_while_saving_tells_the_customer_and_keeps_the_values(signed_in, open_window, account, two_zone):
    data = {f"m{two_zone.pk}-t1": "5230", f"m{two_zone.pk}-t2": "2100"}
    with mock.patch.object(Reading, "save", side_effect=DatabaseError("disk full")):
        response = signed_in.post(url(account), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Не удалось сохранить показания: ничего не передано, прежние показания сохранены." in page
    assert 'value="5230"' in page and 'value="2100"' in page
    assert not Reading.objects.filter(period=THIS_MONTH).exists()


def test_overdue_verification_is_flagged_with_what_to_do(signed_in, open_window, account):
    make_meter(account, verification_due=add_months(THIS_MONTH, -5))
    page = signed_in.get(url(account)).content.decode()
    assert "Срок поверки счётчика истёк" in page
    assert "Создать обращение о поверке" in page and reverse("portal:appeal_new") in page
    assert "биллинг может не принять" in page


def test_a_closed_account_takes_no_readings(signed_in, open_window, account, two_zone):
    account.status = account.Status.CLOSED
    account.save()
    page = signed_in.get(url(account)).content.decode()
    assert "Лицевой счёт закрыт: показания по нему не принимаются." in page
    assert 'name="m' not in page


def test_history_lists_readings_with_source_and_consumption(signed_in, open_window, account, two_zone):
    signed_in.post(url(account), {f"m{two_zone.pk}-t1": "5300", f"m{two_zone.pk}-t2": "2100"})
    signed_in.post(url(account), {f"m{two_zone.pk}-t1": "5230", f"m{two_zone.pk}-t2": "2100"})
    response = signed_in.get(url(account, "portal:readings_history"))
    assert response.status_code == 200
    page = response.content.decode()
    day, used = '<td data-label="День (Т1)">', '<td data-label="Расход День (Т1), кВт·ч">'
    for text in ["История показаний", "Счётчик № 76543210", "Расход День (Т1), кВт·ч", "Расход Ночь (Т2), кВт·ч",
                 "Клиент через личный кабинет", f"{day}5230</td>{used}230</td>", f"{day}5000</td>{used}200</td>",
                 "заменено"]:  # fmt: skip
        assert text in page, text
    assert page.count("заменено") == 1


def test_another_customers_readings_are_not_found(client, open_window, sverdlovsk, customer):
    other_account = make_account(sverdlovsk, "660100000002", flat="7")
    make_customer("+79120000002", other_account)
    meter = make_meter(other_account)
    customer_login(client, customer)
    for name in ("portal:readings", "portal:readings_history"):
        assert client.get(url(other_account, name)).status_code == 404
    assert client.post(url(other_account), {f"m{meter.pk}-t1": "5"}).status_code == 404
    assert not Reading.objects.exists()


def test_pages_need_login(client, account):
    response = client.get(url(account))
    assert response.status_code == 302 and response.url == f"{reverse('portal:login')}?next={url(account)}"


# --- the page's parts written by Python (portal/templatetags/readings_page.py) ------------------
# They write what the templates they replaced wrote: the page is drawn from each response's own
# context by the current template and by a copy of the template before step 10 of
# docs/performance.md (tests/portal/old_templates/readings_submit.html, its includes written in),
# for the states the page has: the form unbound, refused values, warnings asked and confirmed, the
# window closed, and names with markup in them.
OLD = Path(__file__).parent / "old_templates"
HISTORY_TEMPLATES = ("portal/readings/history.html", "readings_history.html")
HOSTILE = "<b>\"&'</b>"


def drawn_alike(response, template: str = "portal/readings/submit.html", old: str = "readings_submit.html") -> str:
    """The page from the response's context by the old template and by the current one, which
    must be the same; returns it."""
    names = [drawn.name for drawn in response.templates]
    assert template in names
    # The page's own context, with its CSRF token, over the processors' (a part kept drawn, as
    # «История показаний»'s tables, is rendered before its page).
    context = response.context[names.index(template)].flatten()
    if "history_html" in context:  # the old template drew the tables itself (step 14 keeps them)
        context["histories"] = meter_histories(context["account"])
    request = response.wsgi_request  # its resolver_match: {% url %} and the tabs find the namespace
    engine = engines["django"]
    old_context = dict(context)
    if context.get("states") and context.get("blocks") is None:
        # The form unbound is written from the states (step 24); the old view built it.
        form = old_context["form"] = ReadingsForm(states=context["states"])
        old_context["blocks"] = form.blocks()
    before = engine.from_string((OLD / old).read_text(encoding="utf-8")).render(old_context, request)
    new = engine.get_template(template).render(context, request)
    assert new == before
    return new


def drawn_refused(client, account, data: dict) -> str:
    """`drawn_alike` of the page answering `data` posted, refused (400)."""
    response = client.post(url(account), data)
    assert response.status_code == 400
    return drawn_alike(response)


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


def test_the_form_unbound(signed_in, open_window, account, meters):
    page = drawn_alike(signed_in.get(url(account)))
    assert "Приём показаний за" in page and "&lt;b&gt;&quot;&amp;&#x27;&lt;/b&gt;" in page


def test_refused_values_and_warnings_asked(signed_in, open_window, account, meters):
    two_zone, fresh, overdue = meters
    data = {f"m{two_zone.pk}-t1": "100", f"m{two_zone.pk}-t2": "21,5", f"m{fresh.pk}-t1": HOSTILE,
            f"m{overdue.pk}-t1": "9000"}  # fmt: skip
    page = drawn_refused(signed_in, account, data)
    assert 'type="checkbox"' in page and "field-invalid" in page


def test_warnings_confirmed_while_another_value_is_wrong(signed_in, open_window, account, meters):
    two_zone, fresh, overdue = meters
    data = {f"m{two_zone.pk}-t1": "100", f"m{two_zone.pk}-t2": "600", f"m{fresh.pk}-t1": "",
            f"m{overdue.pk}-t1": "9000", f"m{two_zone.pk}-confirm-wrap-t1": "on",
            f"m{overdue.pk}-confirm-unusual": "on"}  # fmt: skip
    page = drawn_refused(signed_in, account, data)
    assert " checked>" in page and 'class="help"' in page


def test_a_reading_already_sent(signed_in, open_window, account, meters):
    two_zone, *_ = meters
    add_reading(two_zone, THIS_MONTH, 99950, 550)
    assert "уже переданы" in drawn_alike(signed_in.get(url(account)))


def test_the_window_closed(signed_in, closed_window, account, meters):
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


@pytest.mark.parametrize("current", ["submit", "history"])
def test_the_tabs(account, current):
    old = engines["django"].from_string((OLD / "readings_tabs.html").read_text(encoding="utf-8"))
    expected = old.render({"account": account, "tab": current})
    assert readings_head({}, account, current).endswith(f"</p>\n{expected}")


@pytest.mark.parametrize("grouped", [False, True])
def test_the_history_rows(signed_in, account, meters, settings, grouped):
    """«История показаний»'s rows (step 12): a reading replaced (its badge, the moment in local
    time), consumption over several months, an empty zone, a source other than the portal, and
    markup in a serial, a service's name and its unit; the thousands grouped or not."""
    settings.TIME_ZONE = "Asia/Yekaterinburg"  # not UTC: a moment left in UTC would show
    settings.USE_THOUSAND_SEPARATOR = grouped
    two_zone, fresh, _ = meters  # the third: a year of monthly readings
    first = add_reading(two_zone, THIS_MONTH, 99950, 520)
    again = add_reading(two_zone, THIS_MONTH, 99990, 530, taken_at=first.taken_at + timedelta(hours=1, minutes=7))
    first.replaced_by = again
    first.save()
    add_reading(two_zone, add_months(THIS_MONTH, -3), 99000, None, source=Reading.Source.INSPECTOR)
    add_reading(fresh, add_months(THIS_MONTH, -6), 10)
    add_reading(fresh, THIS_MONTH, 40, source=Reading.Source.SMART_METER)
    Service.objects.filter(pk=two_zone.service_id).update(unit=HOSTILE)
    page = drawn_alike(signed_in.get(url(account, "portal:readings_history")), *HISTORY_TEMPLATES)
    assert page.count("заменено") == 1 and "за 6 мес." in page and "Контролёр" in page
    assert HOSTILE not in page and "&lt;b&gt;" in page


# --- step 24 of docs/performance.md: the form unbound and the head written without building them --


def test_the_unbound_fieldsets_are_the_forms_own(open_window, account, meters):
    """Every GET with the window open writes the fields from the meters' states, each group drawn
    once per process from the form's own field: the same bytes as the form built and drawn, for
    one to three zones, a zone with no previous value, no previous reading, a reading already
    sent, a verification notice and markup in a serial, whether or not the groups were drawn yet."""
    two_zone, *_ = meters
    three = make_meter(account, zones=3, serial="333")
    add_reading(three, LAST_MONTH, 100, None, 300)
    add_reading(two_zone, THIS_MONTH, 99950, 550)
    states = meter_states(account)
    assert len(states) == 4
    expected = readings_fieldsets(ReadingsForm(states=states).blocks())
    readings_page._groups.clear()
    assert readings_fieldsets(None, states) == expected  # drawn now
    assert readings_fieldsets(None, states) == expected  # from the drawings
    assert f'name="m{three.pk}-t2"' in expected and f'id="id_m{three.pk}-t3_helptext"' in expected
    assert f'aria-describedby="id_m{three.pk}-t2_helptext"' not in expected
    assert "\x1f" not in expected


def test_the_head_writes_each_accounts_own(signed_in, open_window, customer, account, sverdlovsk, two_zone):
    """The head and tabs are drawn once a process with a placeholder for the account's id: the next
    account's page has its own id, number and address."""
    other = make_account(sverdlovsk, "660100000077", house="77", flat="<b>")
    AccountLink.objects.create(user=customer, account=other)
    for name in ("portal:readings", "portal:readings_history"):
        first, second = signed_in.get(url(account, name)), signed_in.get(url(other, name))
        drawn_alike(second, *(() if name == "portal:readings" else HISTORY_TEMPLATES))
        page = second.content.decode()
        assert f"/accounts/{other.pk}/readings/" in page and f"/accounts/{account.pk}/" not in page
        assert "Лицевой счёт 660100000077" in page and "&lt;b&gt;" in page
        assert str(readings_page._ID) not in page and str(readings_page._ID) not in first.content.decode()


def test_the_head_with_the_placeholder_in_the_script_prefix(account):
    """A URL holding the placeholder's digits elsewhere is not written into: the head is drawn for
    the account itself."""
    readings_page._heads.clear()
    prefix = get_script_prefix()
    set_script_prefix(f"/{readings_page._ID}/")
    try:
        head = readings_head({}, account, "submit")
    finally:
        set_script_prefix(prefix)
        readings_page._heads.clear()
    assert f'href="/{readings_page._ID}/accounts/{account.pk}/readings/" aria-current="page"' in head
    assert f'href="/{readings_page._ID}/home/"' in head
