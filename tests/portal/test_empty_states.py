"""Empty states: a page with nothing to list says what will appear there, when, and what to do
next, with a link, instead of a bare «нет …»."""

from datetime import date

from django.urls import reverse
import pytest

from kabinet.appeals.models import Status
from kabinet.billing.models import Service
from kabinet.readings.models import Meter
from tests.empty_state import EmptyState, empty_state
from tests.factories import customer_login


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def test_home_without_accounts(signed_in, customer):
    customer.account_links.all().delete()
    state = empty_state(signed_in.get(reverse("portal:home")))
    assert "В профиле пока нет лицевых счетов" in state.text
    assert "Добавьте лицевой счёт" in state.text and "номер из квитанции" in state.text
    assert "здесь появятся сумма к оплате" in state.text
    assert state.links == [reverse("portal:add_account")]


def test_home_with_an_account_has_no_empty_state(signed_in):
    assert EmptyState(signed_in.get(reverse("portal:home")).content.decode()).found == 0


def test_account_without_accruals(signed_in, account):
    account.region.payment_due_day = 12
    account.region.save(update_fields=["payment_due_day"])
    state = empty_state(signed_in.get(reverse("portal:account", args=[account.pk])))
    assert "Начислений по этому лицевому счёту пока нет" in state.text
    assert "в начале следующего месяца — около 1-го числа" in state.text
    assert "до 12-го числа" in state.text
    assert "передайте показания с 15 по 25 число" in state.text
    assert state.links == [reverse("portal:readings", args=[account.pk]), reverse("portal:appeal_new")]


def test_readings_without_meters(signed_in, account):
    state = empty_state(signed_in.get(reverse("portal:readings", args=[account.pk])))
    assert "когда счётчик зарегистрирован по лицевому счёту" in state.text
    assert "«Ввод или замена прибора учёта»" in state.text
    assert state.links == [reverse("portal:appeal_new")]
    assert "Создать обращение" in state.text


def test_closed_account_without_meters_is_not_invited_to_register_one(signed_in, account):
    account.status, account.closed_on = account.Status.CLOSED, date(2026, 1, 31)
    account.save(update_fields=["status", "closed_on"])
    page = signed_in.get(reverse("portal:readings", args=[account.pk])).content.decode()
    assert "Лицевой счёт закрыт" in page
    assert EmptyState(page).found == 0


def test_readings_history_without_meters(signed_in, account):
    state = empty_state(signed_in.get(reverse("portal:readings_history", args=[account.pk])))
    assert "По этому лицевому счёту нет счётчиков" in state.text
    assert "История показаний появится, когда счётчик зарегистрируют" in state.text
    assert state.links == [reverse("portal:appeal_new")]


def test_readings_history_of_a_meter_without_readings(signed_in, account):
    service = Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч")
    Meter.objects.create(account=account, service=service, serial="01234567", zones=1,
                         installed_on=date(2020, 3, 1), verification_due=date(2036, 3, 1))  # fmt: skip
    state = empty_state(signed_in.get(reverse("portal:readings_history", args=[account.pk])))
    assert "Показаний пока нет. Они появятся здесь, как только вы передадите показания" in state.text
    assert "(приём с 15 по 25 число)" in state.text
    assert state.links == [reverse("portal:readings", args=[account.pk])]


def test_bills_without_bills(signed_in, account):
    state = empty_state(signed_in.get(reverse("portal:bills", args=[account.pk])))
    assert "Квитанций по этому лицевому счёту пока нет" in state.text
    assert "Первая квитанция появится после первого расчётного месяца" in state.text
    assert "1-го числа следующего" in state.text
    assert "на e-mail вместо бумажной" in state.text
    assert state.links == ["#ebill-title", reverse("portal:account", args=[account.pk])]


def test_bills_link_to_the_ebill_section_that_is_on_the_page(signed_in, account):
    page = signed_in.get(reverse("portal:bills", args=[account.pk])).content.decode()
    assert 'id="ebill-title"' in page


def test_appeals_none_yet(signed_in):
    state = empty_state(signed_in.get(reverse("portal:appeals")))
    assert "У вас пока нет обращений" in state.text
    assert "номер, состояние и срок ответа появятся здесь" in state.text
    assert state.links == [reverse("portal:appeal_new")]


def test_appeals_filtered_to_nothing(signed_in):
    state = empty_state(signed_in.get(reverse("portal:appeals"), {"status": Status.ANSWERED}))
    assert "Обращений в состоянии «Дан ответ» нет" in state.text
    assert "Показать все обращения" in state.text
    assert state.links == [reverse("portal:appeals"), reverse("portal:appeal_new")]
