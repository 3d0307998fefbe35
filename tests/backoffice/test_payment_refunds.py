"""A supervisor returns a payment, fully or in part, through the acquirer (the local ЮKassa
look-alike), with the reason recorded; an operator cannot (issue 13, «The company»)."""

from decimal import Decimal
import re

from django.urls import reverse
import pytest

from kabinet.billing.models import Payment
from kabinet.core.models import AuditEvent
from kabinet.payments.models import PaymentEvent, Refund
from tests.factories import make_staff, paid_online, redirected_to, staff_login

REASON = "Клиент оплатил дважды, обращение 66-2026-000001"


@pytest.fixture
def paid(yookassa, account):
    return paid_online(yookassa, account, "1500.00")


@pytest.fixture
def supervisor_client(client, supervisor):
    staff_login(client, supervisor.user)
    return client


def page_url(payment) -> str:
    return reverse("backoffice:payment", args=[payment.public_id])


def refund_url(payment) -> str:
    return reverse("backoffice:refund", args=[payment.public_id])


def test_supervisor_sees_the_form_prefilled_with_what_is_left(supervisor_client, paid):
    page = supervisor_client.get(page_url(paid)).content.decode()
    assert "Вернуть платёж" in page and "Причина возврата" in page
    assert 'name="amount" value="1\u00a0500,00"' in page
    assert '<button type="submit" class="button button-primary">Вернуть</button>' in page


def test_supervisor_refunds_in_full(supervisor_client, supervisor, paid, yookassa):
    response = supervisor_client.post(refund_url(paid), {"amount": "1 500,00", "reason": REASON})
    assert redirected_to(response) == page_url(paid)
    refund = paid.refunds.get()
    assert (refund.amount, refund.status, refund.reason, refund.requested_by) == (
        Decimal("1500.00"), Refund.Status.SUCCEEDED, REASON, supervisor.user
    )  # fmt: skip
    assert Payment.objects.filter(account=paid.account, amount=Decimal("-1500.00")).count() == 1
    assert yookassa.payments[paid.acquirer_id]["refunded_amount"]["value"] == "1500.00"
    page = supervisor_client.get(page_url(paid)).content.decode()
    assert "Возврат 1\u00a0500,00\u00a0₽ выполнен." in page
    assert REASON in page and "Ольга Сотрудник" in page
    assert "Вернуть платёж" not in page, "nothing is left to return"
    created = PaymentEvent.objects.get(refund=refund, old_status="")
    assert created.source == PaymentEvent.Source.STAFF and created.details["reason"] == REASON


def test_supervisor_refunds_in_part_then_the_rest(supervisor_client, paid):
    supervisor_client.post(refund_url(paid), {"amount": "400", "reason": REASON})
    page = supervisor_client.get(page_url(paid)).content.decode()
    assert 'Можно вернуть до <strong class="nowrap">1\u00a0100,00\u00a0₽</strong>' in page
    assert 'name="amount" value="1\u00a0100,00"' in page
    listed = supervisor_client.get(reverse("backoffice:payments")).content.decode()
    assert "400,00\u00a0₽" in listed
    supervisor_client.post(refund_url(paid), {"amount": "1100.00", "reason": "Остаток"})
    assert sorted(paid.refunds.values_list("amount", flat=True)) == [Decimal("400.00"), Decimal("1100.00")]


def test_over_refund_is_refused_at_the_amount_keeping_the_input(supervisor_client, paid, yookassa):
    supervisor_client.post(refund_url(paid), {"amount": "1000", "reason": REASON})
    response = supervisor_client.post(refund_url(paid), {"amount": "600,00", "reason": "Ещё раз"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'name="amount" value="600,00"' in page and "Ещё раз</textarea>" in page
    assert '<a href="#id_amount">Сумма возврата: Вернуть можно не больше 500,00\u00a0₽.</a>' in page
    assert 'id="id_amount_error"' in page
    assert paid.refunds.count() == 1
    assert [method for method, path, _ in yookassa.requests if path.endswith("/refunds")] == ["POST"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "500", "reason": "  "}, "reason", "Укажите причину возврата"),
        ({"amount": "", "reason": REASON}, "amount", "Введите сумму возврата."),
        ({"amount": "0", "reason": REASON}, "amount", "Сумма возврата должна быть больше нуля."),
        ({"amount": "пятьсот", "reason": REASON}, "amount", "Введите сумму в рублях, например 1500 или 1500,50."),
        ({"amount": "10,005", "reason": REASON}, "amount", "Введите сумму в рублях, например 1500 или 1500,50."),
    ],
)
def test_bad_input_is_told_at_its_field(supervisor_client, paid, data, field, message):
    response = supervisor_client.post(refund_url(paid), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and f'id="id_{field}_error"' in page
    assert not paid.refunds.exists()


def test_operator_sees_the_page_but_cannot_refund(staff_client, paid):
    page = staff_client.get(page_url(paid)).content.decode()
    assert "1\u00a0500,00\u00a0₽" in page and "Причина возврата" not in page
    response = staff_client.post(refund_url(paid), {"amount": "100", "reason": REASON})
    assert response.status_code == 403
    assert "Возвращать платежи может только руководитель группы." in response.content.decode()
    assert not paid.refunds.exists()


def test_supervisor_of_another_region_gets_404(client, paid, perm):
    other = make_staff("perm-sup@example.ru", "supervisor", perm)
    staff_login(client, other.user)
    assert client.get(page_url(paid)).status_code == 404
    assert client.post(refund_url(paid), {"amount": "100", "reason": REASON}).status_code == 404
    assert not paid.refunds.exists()


def test_acquirer_down_keeps_the_refund_pending_and_says_so(supervisor_client, paid, yookassa):
    yookassa.script = [("status", 500)] * 3
    response = supervisor_client.post(refund_url(paid), {"amount": "300", "reason": REASON}, follow=True)
    refund = paid.refunds.get()
    assert refund.status == Refund.Status.PENDING
    assert "Возврат 300,00\u00a0₽ отправлен в ЮKassa" in response.content.decode()


def form_key(client, payment) -> str:
    """The refund form's one-time key, as the page renders it."""
    page = client.get(page_url(payment)).content.decode()
    return re.search(r'<input type="hidden" name="key" value="([0-9a-f-]{36})"', page).group(1)


def test_a_refund_is_in_the_audit_log(supervisor_client, supervisor, paid):
    supervisor_client.post(
        refund_url(paid), {"amount": "400", "reason": REASON, "key": form_key(supervisor_client, paid)}
    )
    refund = paid.refunds.get()
    event = AuditEvent.objects.get(action=AuditEvent.Action.REFUND)
    assert (event.user, event.identifier, event.ip) == (supervisor.user, paid.account.number, "127.0.0.1")
    assert event.details == {
        "payment": str(paid.public_id), "refund": str(refund.public_id), "amount": "400.00", "reason": REASON
    }  # fmt: skip
    assert event.get_action_display() == "Возврат платежа"


def test_the_form_sent_twice_makes_one_refund(supervisor_client, paid, yookassa):
    """A double click: the same form (its one-time key) twice, one partial refund, asked once."""
    sent = {"amount": "400", "reason": REASON, "key": form_key(supervisor_client, paid)}
    first = supervisor_client.post(refund_url(paid), sent)
    again = supervisor_client.post(refund_url(paid), sent)
    assert redirected_to(first) == redirected_to(again) == page_url(paid)
    refund = paid.refunds.get()
    assert str(refund.public_id) == sent["key"] and refund.amount == Decimal("400.00")
    assert [path for method, path, _ in yookassa.requests if path.endswith("/refunds")] == ["/v3/refunds"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REFUND).count() == 1
    page = supervisor_client.get(page_url(paid)).content.decode()
    assert 'Можно вернуть до <strong class="nowrap">1\u00a0100,00\u00a0₽</strong>' in page
    # The page opened again is a new form: the same amount may be returned once more on purpose.
    supervisor_client.post(refund_url(paid), sent | {"key": form_key(supervisor_client, paid)})
    assert paid.refunds.count() == 2
