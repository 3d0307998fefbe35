"""A new customer: registering one of the README's free demo accounts opens a full cabinet
(charges, a meter); a cabinet without accounts says what to do and links to it."""

from dataclasses import replace
import re

from django.utils import timezone
from playwright.sync_api import expect
import pytest

from kabinet.billing import demo
from kabinet.exchange import demo as exchange_demo
from kabinet.readings import demo as history
from tests.e2e.helpers import fill_registration_form, goto, log_in, wait_ready

FREE = "660100044441"  # README: ул. Вайнера, д. 9а, кв. 3


@pytest.fixture
def demo_data(monkeypatch):
    """The demo as `make run` loads it, with a registry of a few premises per city (the README's
    accounts are all there; the 3 300 generated ones would only slow the test)."""
    monkeypatch.setattr(demo, "REGISTRY_PLANS", tuple(replace(plan, premises=5) for plan in demo.REGISTRY_PLANS))
    exchange_demo.load_demo()


def test_registering_a_free_readme_account_shows_charges_and_a_meter(page, demo_data, outbox):
    goto(page, "/")
    page.get_by_role("link", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Регистрация", exact=True)).to_be_visible()
    fill_registration_form(page, FREE, "9а", "+7 912 555-12-34", name=("Вера", "Новикова"))
    expect(page).to_have_url("/register/confirm/")
    page.get_by_label("Код из SMS").fill(outbox.last_code("+79125551234"))
    page.get_by_role("button", name="Отправить", exact=True).click()

    expect(page).to_have_url("/home/")
    wait_ready(page)
    card = page.get_by_role("article", name=f"Лицевой счёт {FREE}")
    expect(card).to_contain_text(re.compile(r"К оплате|Переплата|Задолженности нет"))
    expect(card.get_by_text("Последний платёж")).to_be_visible()
    expect(card).not_to_contain_text("Последний платёж —")

    card.get_by_role("link", name="Начисления и платежи").click()
    expect(page.get_by_role("heading", name=f"За последние {history.MONTHS} мес.")).to_be_visible()
    expect(page.get_by_text("Начислений по этому лицевому счёту пока нет")).to_have_count(0)

    goto(page, "/home/")
    page.get_by_role("article", name=f"Лицевой счёт {FREE}").get_by_role("link", name="Передать показания").click()
    serial = history.plan_history(history.history_spec(FREE, "3"), timezone.localdate()).meters[0].serial
    expect(page.get_by_text(f"Счётчик № {serial}").first).to_be_visible()
    expect(page.get_by_text("нет счётчиков")).to_have_count(0)


def test_a_cabinet_without_accounts_links_to_adding_one(page, customer):
    customer.account_links.all().delete()
    log_in(page, "+79120000001")
    expect(page.get_by_text("В профиле пока нет лицевых счетов.")).to_be_visible()
    page.get_by_role("link", name="Добавьте лицевой счёт").click()
    expect(page).to_have_url("/profile/accounts/add/")
    expect(page.get_by_label("Номер лицевого счета")).to_be_visible()
