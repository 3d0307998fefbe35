"""«Платежи» in the back office: the list with its filters, limited to the employee's regions,
and a payment's page (issue 13, «The company»)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund
from tests.factories import customer_login, make_account, make_online_payment, make_staff, redirected_to, staff_login

LIST = reverse("backoffice:payments")
Status, Method = OnlinePayment.Status, OnlinePayment.Method


def at(day: int, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(2026, 3, day, hour))


@pytest.fixture
def payments(account, sverdlovsk, perm):
    """Four Свердловский payments of March 2026 and one in Perm."""
    other = make_account(sverdlovsk, "660100000002", flat="6")
    made = {
        "card": make_online_payment(account, "1500.00", created_at=at(1)),
        "sbp": make_online_payment(account, "2300.50", method=Method.SBP, created_at=at(10)),
        "canceled": make_online_payment(other, "700.00", status=Status.CANCELED, created_at=at(20)),
        "pending": make_online_payment(other, "1500.00", status=Status.PENDING, created_at=at(31, 23)),
        "perm": make_online_payment(make_account(perm, "5900012345"), "1500.00", created_at=at(5)),
    }
    Refund.objects.create(payment=made["card"], amount=Decimal("500.00"), reason="Ошибка", status="succeeded")
    Refund.objects.create(payment=made["card"], amount=Decimal("100.00"), reason="Ошибка", status="canceled")
    return made


def listed(client, payments: dict[str, OnlinePayment], query: str = "") -> set[str]:
    """The keys of `payments` the list links to."""
    response = client.get(LIST + query)
    assert response.status_code == 200
    page = response.content.decode()
    return {key for key, p in payments.items() if str(p.public_id) in page}


def test_the_list_shows_the_regions_payments_newest_first(staff_client, payments):
    page = staff_client.get(LIST).content.decode()
    assert listed(staff_client, payments) == {"card", "sbp", "canceled", "pending"}
    order = [page.index(str(payments[k].public_id)) for k in ("pending", "canceled", "sbp", "card")]
    assert order == sorted(order)
    for text in ["660100000001", "2\u00a0300,50\u00a0₽", "СБП", "Банковская карта", "Оплачен", "Отменён",
                 "В обработке", "500,00\u00a0₽", "01.03.2026 12:00"]:  # fmt: skip
        assert text in page, text
    assert "600,00" not in page, "a cancelled refund returned nothing"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=succeeded", {"card", "sbp"}),
        ("?status=canceled", {"canceled"}),
        ("?method=sbp", {"sbp"}),
        ("?account_number=660100000002", {"canceled", "pending"}),
        ("?account_number=+660100000001+", {"card", "sbp"}),
        ("?amount=1500", {"card", "pending"}),
        ("?amount=2+300,50", {"sbp"}),
        ("?date_from=2026-03-10", {"sbp", "canceled", "pending"}),
        ("?date_to=2026-03-10", {"card", "sbp"}),
        ("?date_from=2026-03-31&date_to=2026-03-31", {"pending"}),
        ("?status=succeeded&amount=1500&account_number=660100000001", {"card"}),
        ("?account_number=5900012345", set()),
    ],
)
def test_filters(staff_client, payments, query, expected):
    assert listed(staff_client, payments, query) == expected


def test_region_filter_offers_only_the_employees_regions(staff_client, payments, sverdlovsk, perm):
    assert listed(staff_client, payments, f"?region={sverdlovsk.pk}") == {"card", "sbp", "canceled", "pending"}
    response = staff_client.get(LIST + f"?region={perm.pk}")
    assert response.status_code == 400, "another region is no choice: the list is never widened"
    assert not {str(p.public_id) for p in payments.values()} & set(response.content.decode().split('"'))
    assert "Пермский" not in staff_client.get(LIST).content.decode()


def test_employee_of_both_regions_sees_both(client, payments, sverdlovsk, perm):
    both = make_staff("both@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, perm)
    staff_login(client, both.user)
    assert listed(client, payments) == set(payments)
    assert listed(client, payments, f"?region={perm.pk}") == {"perm"}


def test_bad_filter_says_so_at_its_field_and_keeps_it(staff_client, payments):
    response = staff_client.get(LIST + "?amount=полторы&date_from=2026-03-20&date_to=2026-03-01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Введите сумму в рублях, например 1500 или 1500,50." in page
    assert "Дата «по» раньше даты «с»" in page
    assert 'value="полторы"' in page


def test_the_list_is_paginated_with_the_filter_kept(staff_client, account):
    for day in range(1, 56):
        make_online_payment(account, "100.00", created_at=at(1) + timedelta(hours=day))
    first = staff_client.get(LIST + "?method=bank_card").content.decode()
    assert "Страница 1 из 2" in first and "?method=bank_card&amp;page=2" in first
    assert "Страница 2 из 2" in staff_client.get(LIST + "?method=bank_card&page=2").content.decode()


def test_the_list_costs_the_same_queries_whatever_its_length(staff_client, account):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(LIST).status_code == 200
        return len(captured)

    make_online_payment(account, "100.00")
    queries()  # the footer's contacts: read once per process, not per page
    one = queries()
    for _ in range(30):
        payment = make_online_payment(account, "100.00")
        Refund.objects.create(payment=payment, amount=Decimal("10.00"), reason="x", status="succeeded")
    assert queries() == one


def test_empty_list_explains_itself(staff_client, sverdlovsk):
    page = staff_client.get(LIST).content.decode()
    assert "Онлайн-платежей пока нет." in page
    assert "По этому отбору платежей нет." in staff_client.get(LIST + "?status=canceled").content.decode()


def test_the_navigation_leads_to_payments(staff_client):
    page = staff_client.get(reverse("backoffice:queue")).content.decode()
    assert f'href="{LIST}"' in page and 'aria-label="Разделы бэк-офиса"' in page


def test_payment_page_shows_details_refunds_and_journal(staff_client, payments, operator):
    payment = payments["card"]
    PaymentEvent.objects.create(payment=payment, old_status="pending", new_status="succeeded", source="notification")
    refund = payment.refunds.get(status="succeeded")
    PaymentEvent.objects.create(payment=payment, refund=refund, old_status="pending", new_status="succeeded",
                                source="staff")  # fmt: skip
    response = staff_client.get(reverse("backoffice:payment", args=[payment.public_id]))
    page = response.content.decode()
    for text in ["1\u00a0500,00\u00a0₽", "660100000001", "Банковская карта", "Возвращено", "500,00\u00a0₽",
                 "Журнал платежа", "В обработке → оплачен", "Уведомление ЮKassa", "Возврат 500,00\u00a0₽",
                 "В обработке → выполнен", "Сотрудник", "Ошибка"]:  # fmt: skip
        assert text in page, text
    assert "Вернуть платёж" not in page and "Причина возврата" not in page, "an operator gets no refund form"


def test_another_regions_payment_is_404(staff_client, payments):
    public_id = payments["perm"].public_id
    assert staff_client.get(reverse("backoffice:payment", args=[public_id])).status_code == 404
    data = {"amount": "1", "reason": "x"}
    assert staff_client.post(reverse("backoffice:refund", args=[public_id]), data).status_code == 404
    assert not payments["perm"].refunds.exists()


def test_a_customer_is_sent_to_the_staff_login(client, customer, payments):
    customer_login(client, customer)
    response = client.get(LIST)
    assert redirected_to(response).startswith(reverse("backoffice:login"))
