"""Reading validation and the submission window (kabinet.readings.validation, .window, .states), with
`today` passed in."""

from datetime import date

import pytest

from kabinet.readings.models import Reading
from kabinet.readings.selectors import previous_reading
from kabinet.readings.states import verification_notice
from kabinet.readings.validation import (
    UNUSUAL,
    _months_text,
    average_consumption,
    check_meter,
    consumption,
    parse_value,
)
from kabinet.readings.window import reading_window
from tests.factories import IN_WINDOW, NOV, add_reading, make_meter, monthly

OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)


def check(meter, *values, confirmed=(), period=NOV):
    return check_meter(meter, dict(zip(meter.zone_fields, values, strict=True)), confirmed, period=period)


# --- The window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "is_open"),
    [
        (date(2026, 11, 14), False),
        (date(2026, 11, 15), True),  # the first day
        (date(2026, 11, 20), True),
        (date(2026, 11, 25), True),  # the last day
        (date(2026, 11, 26), False),
    ],
)
def test_window_edges(sverdlovsk, today, is_open):
    window = reading_window(sverdlovsk, today)
    assert window.is_open is is_open
    assert window.rule == "Показания принимаются с 15 по 25 число"


def test_before_the_window_it_opens_this_month(sverdlovsk):
    window = reading_window(sverdlovsk, date(2026, 11, 3))
    assert (window.starts, window.ends, window.period) == (date(2026, 11, 15), date(2026, 11, 25), NOV)
    assert window.opens_on == date(2026, 11, 15)
    assert window.closed_message == "Сейчас показания не принимаются. Приём откроется 15 ноября 2026 г."


def test_after_the_window_it_opens_next_month(sverdlovsk):
    window = reading_window(sverdlovsk, date(2026, 11, 26))
    assert (window.starts, window.period) == (date(2026, 12, 15), date(2026, 12, 1))


def test_next_opening_across_the_year_end(sverdlovsk):
    window = reading_window(sverdlovsk, date(2026, 12, 26))
    assert not window.is_open
    assert (window.starts, window.ends, window.period) == (date(2027, 1, 15), date(2027, 1, 25), date(2027, 1, 1))
    assert "15 января 2027 г." in window.closed_message


def test_while_open_it_opens_today(sverdlovsk):
    assert reading_window(sverdlovsk, date(2026, 11, 15)).opens_on == date(2026, 11, 15)


def test_the_window_is_a_setting_of_the_region(perm):
    perm.readings_from_day, perm.readings_to_day = 1, 26
    window = reading_window(perm, date(2026, 11, 1))
    assert window.is_open and window.ends == date(2026, 11, 26)
    assert window.rule == "Показания принимаются с 1 по 26 число"
    assert not reading_window(perm, date(2026, 11, 27)).is_open


def test_a_last_day_beyond_the_month_is_its_last_day(perm):
    perm.readings_from_day, perm.readings_to_day = 20, 31
    window = reading_window(perm, date(2027, 2, 28))
    assert window.is_open and window.ends == date(2027, 2, 28)
    assert reading_window(perm, date(2027, 3, 1)).starts == date(2027, 3, 20)


def test_a_window_across_the_month_end(perm):
    """From the 23rd to the 3rd: readings sent on 2 January are for December."""
    perm.readings_from_day, perm.readings_to_day = 23, 3
    window = reading_window(perm, date(2027, 1, 2))
    assert window.is_open and window.period == date(2026, 12, 1)
    assert (window.starts, window.ends) == (date(2026, 12, 23), date(2027, 1, 3))
    later = reading_window(perm, date(2027, 1, 4))
    assert not later.is_open and later.starts == date(2027, 1, 23)
    assert later.rule == "Показания принимаются с 23 числа по 3 число следующего месяца"


# --- Values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "error"),
    [
        ("12345", 12345, ""),
        (" 12 345 ", 12345, ""),
        ("000123", 123, ""),
        ("", None, "Введите показание."),
        ("12345,6", None, "Введите целое число — только цифры до запятой, без дробной части."),
        ("12345.", None, "Введите целое число — только цифры до запятой, без дробной части."),
        ("12a45", None, "Введите только цифры, без букв и знаков."),
        ("-5", None, "Введите только цифры, без букв и знаков."),
        ("1e5", None, "Введите только цифры, без букв и знаков."),
        ("١٢٣", None, "Введите только цифры, без букв и знаков."),  # other scripts' digits are not ours
    ],
)
def test_numbers_only(meter, raw, value, error):
    assert parse_value(raw, meter) == (value, error)


def test_no_more_digits_than_the_display(account):
    meter = make_meter(account, digits=5)
    assert parse_value("99999", meter) == (99999, "")
    assert parse_value("0099999", meter) == (99999, "")  # leading zeros are the display's
    value, error = parse_value("100000", meter)
    assert value is None
    assert error == "Слишком много цифр: на табло этого счётчика 5 цифр до запятой, показание не больше 99999."


@pytest.mark.parametrize(("digits", "said"), [(4, "4 цифры"), (2, "2 цифры"), (5, "5 цифр"), (1, "1 цифра")])
def test_the_display_digits_are_counted_in_russian(account, digits, said):
    _, error = parse_value("1" * (digits + 1), make_meter(account, digits=digits))
    assert f"на табло этого счётчика {said} до запятой" in error


def test_zones_are_checked_each_at_its_own(two_zone):
    add_reading(two_zone, OCT, 5000, 2000)
    result = check(two_zone, "5230", "19x")
    assert result.values == {"t1": 5230}
    assert result.errors == {"t2": "Введите только цифры, без букв и знаков."}
    assert result.consumption == {"t1": 230}
    assert not result.ok


def test_a_three_zone_meter_needs_three_values(account):
    meter = make_meter(account, zones=3)
    result = check(meter, "1", "2", "")
    assert list(result.raw) == ["t1", "t2", "t3"]
    assert result.errors == {"t3": "Введите показание."}


def test_first_reading_of_a_meter_is_taken_as_is(meter):
    result = check(meter, "42")
    assert result.ok and result.values == {"t1": 42} and result.previous is None


# --- Previous reading, wrap-around ------------------------------------------------------------


def test_previous_reading_is_the_latest_current_one(meter):
    add_reading(meter, SEP, 100)
    old = add_reading(meter, OCT, 150)
    new = add_reading(meter, OCT, 140)
    old.replaced_by = new
    old.save()
    assert previous_reading(meter) == new
    assert previous_reading(meter, before=OCT).t1 == 100


def test_not_below_the_previous_reading(meter):
    add_reading(meter, OCT, 5000)
    result = check(meter, "4990")
    assert result.errors == {
        "t1": "Показание меньше предыдущего (5000). Проверьте цифры: показание счётчика не уменьшается."
    }
    assert check(meter, "5000").ok  # nothing used is fine


def test_a_wrap_around_asks_for_confirmation_and_counts_across_zero(account):
    meter = make_meter(account, digits=5)
    add_reading(meter, OCT, 99870)
    result = check(meter, "00100")
    assert result.errors == {}
    assert list(result.asks) == ["wrap-t1"]
    assert "подтвердите это — расход составит 230 кВт·ч" in result.asks["wrap-t1"]
    assert "после 99999 снова 00000" in result.asks["wrap-t1"]
    assert result.consumption == {"t1": 230}
    assert not result.ok
    confirmed = check(meter, "00100", confirmed=["wrap-t1"])
    assert confirmed.ok and confirmed.wrapped


def test_a_wrap_in_one_zone_of_two(account):
    meter = make_meter(account, zones=2, digits=5)
    add_reading(meter, OCT, 99900, 500)
    result = check(meter, "150", "600")
    assert list(result.asks) == ["wrap-t1"]
    assert result.consumption == {"t1": 250, "t2": 100}


def test_a_drop_too_large_for_a_wrap_is_a_mistake(meter):
    add_reading(meter, OCT, 500000)
    result = check(meter, "4000")  # across zero it would be 504 000 kWh
    assert "t1" in result.errors and not result.asks


def test_consumption_across_the_wrap():
    assert consumption(99870, 100, 10**5) == 230
    assert consumption(100, 330, 10**5) == 230


def test_confirmations_not_asked_for_are_ignored(meter):
    add_reading(meter, OCT, 100)
    result = check(meter, "200", confirmed=["wrap-t1", UNUSUAL])
    assert result.confirmed == set()


# --- Unusual consumption ----------------------------------------------------------------------


def test_average_of_the_last_12_months(meter):
    monthly(meter, (1000,), (200,), months=14)
    assert average_consumption(meter, NOV) == 200


def test_average_across_a_wrap(account):
    meter = make_meter(account, digits=4)
    monthly(meter, (8000,), (300,), months=13)
    assert average_consumption(meter, NOV) == 300


def test_average_needs_two_readings(meter):
    add_reading(meter, OCT, 100)
    assert average_consumption(meter, NOV) is None


def test_average_ignores_replaced_readings(meter):
    monthly(meter, (1000,), (100,), months=3)  # August to October: 1000, 1100, 1200
    wrong = add_reading(meter, SEP, 9000)
    wrong.replaced_by = Reading.objects.get(meter=meter, period=SEP, t1=1100)
    wrong.save()
    assert average_consumption(meter, NOV) == 100


def test_more_than_three_times_the_average_needs_confirmation(meter):
    monthly(meter, (1000,), (200,))  # previous: 3200 in October
    assert check(meter, "3800").ok  # 600 = 3× is still usual
    result = check(meter, "3801")
    assert list(result.asks) == [UNUSUAL]
    assert result.asks[UNUSUAL].startswith("Расход 601 кВт·ч — более чем в 3 раза выше обычного (в среднем 200 кВт·ч")
    assert not result.ok
    assert check(meter, "3801", confirmed=[UNUSUAL]).ok


def test_unusual_counts_all_zones_together(two_zone):
    monthly(two_zone, (1000, 500), (150, 50))  # 200 a month together; previous 2650 / 1050
    assert check(two_zone, "3050", "1250").ok  # 400 + 200 = 600: 3×
    assert check(two_zone, "3050", "1251").asks.keys() == {UNUSUAL}  # 601
    assert check(two_zone, "2650", "1300").ok  # the night alone 5× its own, but 250 in all


def test_unusual_is_per_month_since_the_previous_reading(meter):
    monthly(meter, (1000,), (200,), last=SEP)  # previous: 3200 in August, three months before November
    assert check(meter, "5000").ok  # 1 800 = 3 × 200 × 3 months
    assert UNUSUAL in check(meter, "5001").asks
    assert "(в среднем 600 кВт·ч за 3 месяца" in check(meter, "5001").asks[UNUSUAL]


@pytest.mark.parametrize(("months", "said"), [(1, "месяц"), (2, "2 месяца"), (5, "5 месяцев"), (21, "21 месяц")])
def test_the_months_are_counted_in_russian(months, said):
    assert _months_text(months) == said


def test_no_average_no_unusual_rule(meter):
    add_reading(meter, OCT, 100)
    assert check(meter, "100000").ok


# --- Verification -----------------------------------------------------------------------------


def test_a_meter_past_its_verification_is_flagged_with_what_to_do(account):
    meter = make_meter(account, verification_due=date(2026, 6, 1))
    notice = verification_notice(meter, IN_WINDOW)
    assert notice.startswith("Срок поверки счётчика истёк 01.06.2026. Закажите поверку")
    assert "Закажите поверку: создайте обращение" in notice and "8-800-700-10-32" in notice
    assert "биллинг может не принять" in notice


def test_a_meter_in_date_has_no_notice(account):
    meter = make_meter(account, verification_due=IN_WINDOW)
    assert verification_notice(meter, IN_WINDOW) == ""
    assert verification_notice(meter, date(2026, 11, 21)) != ""


def test_readings_of_an_overdue_meter_are_still_taken(account):
    meter = make_meter(account, verification_due=date(2026, 6, 1))
    add_reading(meter, OCT, 100)
    assert check(meter, "300").ok
