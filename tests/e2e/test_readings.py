"""Meter readings (issue 5): a customer submits readings for a two-zone meter; a rejected value
keeps everything typed, the corrected submission is accepted and shows in the history."""

from django.utils import timezone
from playwright.sync_api import expect

from kabinet.billing.periods import add_months
from kabinet.readings.models import Reading
from tests.e2e.helpers import assert_fits_the_screen, log_in
from tests.factories import add_reading, make_account, make_customer, make_meter

PHONE = "+79120000031"


def test_two_zone_readings_with_a_rejected_value(page, sverdlovsk):
    sverdlovsk.readings_from_day, sverdlovsk.readings_to_day = 1, 31  # open whatever the date
    sverdlovsk.save()
    account = make_account(sverdlovsk, "660100012345")
    make_customer(PHONE, account)
    meter = make_meter(account, zones=2, serial="76543210")
    this_month = timezone.localdate().replace(day=1)
    add_reading(meter, add_months(this_month, -1), 5000, 2000)

    log_in(page, PHONE)
    expect(page.get_by_role("heading", name="Здравствуйте, Анна!")).to_be_visible()
    page.goto(f"/accounts/{account.pk}/readings/")
    expect(page.get_by_role("heading", name="Передать показания")).to_be_visible()
    expect(page.get_by_text("Показания принимаются с 1 по 31 число")).to_be_visible()
    day, night = page.get_by_label("День (Т1)", exact=True), page.get_by_label("Ночь (Т2)", exact=True)
    expect(day).to_have_accessible_description(
        "Предыдущее показание: 5000 от 20" + add_months(this_month, -1).strftime(".%m.%Y")
    )

    day.fill("5230")
    night.fill("21,5")
    page.get_by_role("button", name="Передать показания").click()

    night = page.get_by_label("Ночь (Т2)", exact=True)
    expect(night).to_have_attribute("aria-invalid", "true")
    expect(night).to_have_accessible_description(
        "Предыдущее показание: 2000 от 20" + add_months(this_month, -1).strftime(".%m.%Y")
        + " Введите целое число — только цифры до запятой, без дробной части."
    )  # fmt: skip
    expect(night).to_have_value("21,5")
    expect(page.get_by_label("День (Т1)", exact=True)).to_have_value("5230")
    expect(page.get_by_label("День (Т1)", exact=True)).not_to_have_attribute("aria-invalid", "true")
    assert not Reading.objects.filter(period=this_month).exists()

    night.fill("2100")
    page.get_by_role("button", name="Передать показания").click()
    expect(page.get_by_role("status").filter(has_text="Показания переданы. Спасибо!")).to_be_visible()
    expect(page.get_by_text("Новые показания заменят их.")).to_be_visible()
    assert Reading.objects.get(meter=meter, period=this_month).values == (5230, 2100)

    page.get_by_role("link", name="История показаний").click()
    assert_fits_the_screen(page)  # waits for the stylesheet: the cells below are checked as laid out on a phone
    table = page.get_by_role("table")
    first_row = table.get_by_role("row").nth(1)
    expect(first_row.get_by_role("cell", name="5230", exact=True)).to_be_visible()
    expect(first_row.get_by_role("cell", name="230", exact=True)).to_be_visible()
    expect(first_row.get_by_role("cell", name="Клиент через личный кабинет")).to_be_visible()


def test_the_meter_card_says_its_previous_reading_once_under_a_title_inside_the_card(page, sverdlovsk):
    sverdlovsk.readings_from_day, sverdlovsk.readings_to_day = 1, 31
    sverdlovsk.save()
    account = make_account(sverdlovsk, "660100012345")
    make_customer(PHONE, account)
    meter = make_meter(account, zones=2, serial="76543210")
    add_reading(meter, add_months(timezone.localdate().replace(day=1), -1), 5000, 2000)

    log_in(page, PHONE)
    page.goto(f"/accounts/{account.pk}/readings/")
    card = page.get_by_role("group", name="Счётчик № 76543210")
    expect(card.get_by_label("День (Т1)", exact=True)).to_be_visible()
    for value in ("5000", "2000"):  # beside its field, not again in a line above the fields
        expect(card.get_by_text(value)).to_have_count(1)
    expect(card).to_contain_text("Источник предыдущих показаний: клиент через личный кабинет.")

    # The title sits inside the card, below its top border, as other cards' headings do.
    top = card.evaluate("el => el.getBoundingClientRect().top + parseFloat(getComputedStyle(el).borderTopWidth)")
    title = card.locator("legend").bounding_box()
    assert title["y"] > top, f"the title is on the card's border: {title['y']} ≤ {top}"
