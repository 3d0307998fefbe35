"""Meters and readings through the API: the window, the history, and submitting with the page's
checks — errors by field (422), warnings as data to confirm (409), the window's refusal.

Like the page's tests, these set the region's window around today instead of freezing time."""

from django.utils import timezone
import pytest
import time_machine

from kabinet.billing.periods import add_months
from kabinet.readings.models import Reading
from kabinet.readings.window import reading_window
from tests.factories import access_token, add_reading, api_token, bearer, make_meter, monthly

pytestmark = pytest.mark.django_db

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
    sverdlovsk.readings_from_day = sverdlovsk.readings_to_day = TODAY.day % 28 + 1  # any day but today
    sverdlovsk.save()
    return sverdlovsk


@pytest.fixture
def headers(customer):
    return bearer(access_token(customer))


@pytest.fixture
def meter(account):
    meter = make_meter(account)
    monthly(meter, (1000,), (100,), last=THIS_MONTH)  # 100 a month; the previous reading 2100
    return meter


def submit(client, meter, headers, **body):
    return client.post(f"/api/v1/meters/{meter.pk}/readings", body, content_type="application/json", headers=headers)


def test_meters_with_the_window_and_the_previous_reading(client, customer, open_window, meter, headers):
    response = client.get(f"/api/v1/accounts/{meter.account_id}/meters", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["window"]["is_open"] and body["window"]["refusal"] == ""
    assert body["window"]["rule"] == "Показания принимаются с 1 по 31 число"
    [item] = body["meters"]
    assert item["serial"] == "01234567" and item["zone_labels"] == ["Показание"]
    assert item["previous_reading"]["values"] == {"t1": 2100, "t2": None, "t3": None}
    assert item["previous_reading"]["period"] == f"{LAST_MONTH:%Y-%m}"
    assert item["sent_in_window"] is None
    assert item["last_reading"] == item["previous_reading"]


def test_a_closed_window_says_when_it_opens(client, customer, closed_window, meter, headers):
    window = client.get(f"/api/v1/accounts/{meter.account_id}/meters", headers=headers).json()["window"]
    assert not window["is_open"]
    assert window["refusal"] == reading_window(closed_window).closed_message


def test_history_in_pages_with_consumption(client, customer, open_window, meter, headers):
    response = client.get(f"/api/v1/meters/{meter.pk}/readings?limit=2", headers=headers)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 12
    newest = page["items"][0]
    assert newest["values"]["t1"] == 2100 and newest["consumption"]["t1"] == 100 and newest["months"] == 1
    assert newest["source_name"] == "Клиент через личный кабинет" and not newest["replaced"]


def test_submit_stores_the_reading(client, customer, open_window, meter, headers):
    response = submit(client, meter, headers, values={"t1": "2190"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["readings"][0]["values"]["t1"] == 2190
    assert body["message"].startswith("Показания переданы. Спасибо!")
    reading = Reading.objects.get(meter=meter, period=THIS_MONTH)
    assert reading.t1 == 2190 and reading.submitted_by == customer and reading.source == "portal"
    [item] = client.get(f"/api/v1/accounts/{meter.account_id}/meters", headers=headers).json()["meters"]
    assert item["last_reading"]["values"]["t1"] == item["sent_in_window"]["values"]["t1"] == 2190


def test_a_wrong_value_is_refused_at_its_field(client, customer, open_window, meter, headers):
    response = submit(client, meter, headers, values={"t1": "2190,5"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"t1": ["Введите целое число — только цифры до запятой, без дробной части."]}
    assert not Reading.objects.filter(period=THIS_MONTH).exists()


def test_an_unusual_consumption_comes_back_as_a_warning_then_passes_with_confirm(
    client, customer, open_window, meter, headers
):
    first = submit(client, meter, headers, values={"t1": 3000})
    assert first.status_code == 409
    problem = first.json()
    [warning] = problem["warnings"]
    assert warning["code"] == "unusual" and warning["meter_id"] == meter.pk and warning["zone"] is None
    assert warning["message"].startswith("Расход 900 кВт·ч — более чем в 3 раза выше обычного")
    assert problem["errors"] == {}
    assert not Reading.objects.filter(period=THIS_MONTH).exists()
    second = submit(client, meter, headers, values={"t1": 3000}, confirm=True)
    assert second.status_code == 201
    assert Reading.objects.get(meter=meter, period=THIS_MONTH).unusual_confirmed


def test_a_wrap_past_zero_is_a_warning_of_its_zone(client, customer, open_window, account, headers):
    meter = make_meter(account, digits=4)
    add_reading(meter, LAST_MONTH, 9950)
    first = submit(client, meter, headers, values={"t1": "0030"})
    assert first.status_code == 409
    assert [(w["code"], w["zone"]) for w in first.json()["warnings"]] == [("wrap-t1", "t1")]
    assert submit(client, meter, headers, values={"t1": "0030"}, confirm=True).status_code == 201
    assert Reading.objects.get(meter=meter, period=THIS_MONTH).wrapped


def test_outside_the_window_the_pages_message(client, customer, closed_window, meter, headers):
    response = submit(client, meter, headers, values={"t1": "2190"})
    assert response.status_code == 409
    assert response.json()["detail"] == reading_window(closed_window).closed_message
    assert response.json()["detail"].startswith("Сейчас показания не принимаются. Приём откроется ")


def test_a_read_only_token_cannot_submit(client, customer, open_window, meter):
    response = submit(client, meter, bearer(api_token(customer, write=False)), values={"t1": "2190"})
    assert response.status_code == 403
    assert not Reading.objects.filter(period=THIS_MONTH).exists()


def test_a_token_allowed_to_submit_can(client, customer, open_window, meter):
    assert submit(client, meter, bearer(api_token(customer, write=True)), values={"t1": "2190"}).status_code == 201


WATER = {"t1": "510", "t2": "205"}


def test_an_account_with_two_meters_takes_them_together(client, customer, open_window, account, meter, headers):
    water = make_meter(account, serial="55555555", zones=2)
    add_reading(water, LAST_MONTH, 500, 200)
    alone = submit(client, meter, headers, values={"t1": "2190"})
    assert alone.status_code == 422
    assert alone.json()["errors"] == {f"meters.{water.pk}.t1": ["Введите показание."],
                                      f"meters.{water.pk}.t2": ["Введите показание."]}  # fmt: skip
    both = client.post(
        f"/api/v1/accounts/{account.pk}/readings",
        {"meters": [{"meter_id": meter.pk, "values": {"t1": "2190"}}, {"meter_id": water.pk, "values": WATER}]},
        content_type="application/json",
        headers=headers,
    )
    assert both.status_code == 201, both.content
    assert Reading.objects.filter(period=THIS_MONTH).count() == 2
