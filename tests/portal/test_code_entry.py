"""The «enter the SMS code» process, written once (kabinet/portal/views/code_entry.py) and
behaving the same in every flow that sends a code: registration, recovery, phone change."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.identity.models import VerificationCode
import kabinet.portal
from tests.factories import PASSWORD, customer_login, make_account, make_customer, redirected_to


@dataclass(frozen=True)
class Flow:
    name: str
    title: str
    page: str
    resend: str
    start: str
    done: str


def start_registration(client, region) -> str:
    make_account(region, "660100000055", house="5")
    data = {"account_number": "660100000055", "house": "5", "region": region.pk, "phone": "+79121112233",
            "email": "", "first_name": "Пётр", "last_name": "Сидоров", "password": PASSWORD,
            "password2": PASSWORD, "consent": "on"}  # fmt: skip
    assert client.post(reverse("portal:register"), data)["Location"] == reverse("portal:register_confirm")
    return "+79121112233"


def start_recovery(client, region) -> str:
    make_customer("+79120000001", make_account(region, "660100000001"))
    response = client.post(reverse("portal:recover"), {"contact": "+79120000001"})
    assert redirected_to(response) == reverse("portal:recover_code")
    return "+79120000001"


def start_phone_change(client, region) -> str:
    customer_login(client, make_customer("+79120000001", make_account(region, "660100000001")))
    response = client.post(reverse("portal:phone"), {"phone": "+79127777777"})
    assert redirected_to(response) == reverse("portal:phone_confirm")
    return "+79127777777"


FLOWS = {
    start_registration: Flow(
        "register", "Подтверждение телефона", "portal:register_confirm", "portal:register_resend",
        "portal:register", reverse("portal:home"),
    ),
    start_recovery: Flow(
        "recover", "Восстановление пароля", "portal:recover_code", "portal:recover_resend", "portal:recover",
        reverse("portal:set_password"),
    ),
    start_phone_change: Flow(
        "phone", "Подтверждение нового телефона", "portal:phone_confirm", "portal:phone_resend", "portal:phone",
        reverse("portal:profile"),
    ),
}  # fmt: skip


@pytest.fixture(params=list(FLOWS), ids=[flow.name for flow in FLOWS.values()])
def started(request, client, sverdlovsk, outbox):
    """A flow with a code just sent: (the flow, the phone it went to)."""
    phone = request.param(client, sverdlovsk)
    return FLOWS[request.param], phone


def other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_page_names_the_flow_and_the_masked_phone(client, started):
    flow, phone = started
    response = client.get(reverse(flow.page))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{flow.title}</h1>" in page and f"***-**-{phone[-2:]}" in page
    assert f'action="{reverse(flow.resend)}"' in page


def test_a_wrong_code_is_said_at_the_field_then_the_right_one_goes_on(client, started, outbox):
    flow, phone = started
    wrong = client.post(reverse(flow.page), {"code": other_than(outbox.last_code(phone))})
    assert wrong.status_code == 400 and "Неверный код. Осталось попыток: 4." in wrong.content.decode()
    right = client.post(reverse(flow.page), {"code": outbox.last_code(phone)})
    assert right["Location"] == flow.done
    # The code is spent and forgotten: its page now leads back to the start.
    assert client.get(reverse(flow.page))["Location"] == reverse(flow.start)


def test_an_empty_code_keeps_the_page(client, started):
    flow, _ = started
    response = client.post(reverse(flow.page), {"code": ""})
    assert response.status_code == 400 and flow.title in response.content.decode()


def test_resend_waits_then_replaces_the_code(client, started, outbox):
    flow, phone = started
    first = outbox.last_code(phone)
    too_soon = client.post(reverse(flow.resend))
    assert too_soon.status_code == 429
    assert "Новый код можно будет запросить после" in too_soon.content.decode()
    VerificationCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert client.post(reverse(flow.resend))["Location"] == reverse(flow.page)
    second = outbox.last_code(phone)
    if first != second:
        assert client.post(reverse(flow.page), {"code": first}).status_code == 400
    assert client.post(reverse(flow.page), {"code": second})["Location"] == flow.done


@pytest.mark.parametrize("flow", FLOWS.values(), ids=[flow.name for flow in FLOWS.values()])
def test_with_nothing_pending_both_steps_lead_to_the_start(client, customer, flow):
    if flow.name == "phone":
        customer_login(client, customer)
    assert client.get(reverse(flow.page))["Location"] == reverse(flow.start)
    assert client.post(reverse(flow.resend))["Location"] == reverse(flow.start)
    assert client.get(reverse(flow.resend)).status_code == 405


def test_the_code_steps_are_written_once():
    """Only the shared process looks up, resends or shows a pending code."""
    views = Path(kabinet.portal.__file__).parent / "views"
    holders = {
        path.name
        for path in views.glob("*.py")
        for marker in ("find_open(", "resend_code(", '"portal/code.html"')
        if marker in path.read_text(encoding="utf-8")
    }
    assert holders == {"code_entry.py"}
