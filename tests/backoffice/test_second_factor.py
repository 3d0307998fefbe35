"""Employees must use a second factor (issue 16): after the password, a staff session reaches
nothing — no back-office page, no admin page — until the app is set up (first time) or its
code entered."""

import html
import re
import time

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn.models import WebAuthnCredential
import pyotp
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from kabinet.identity.models import SmsDevice, User
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    admin_login,
    give_second_factor,
    id_patterns,
    make_customer,
    recovery_code,
    redirected_to,
)

LOGIN = reverse("backoffice:login")
QUEUE = reverse("backoffice:queue")
SETUP = reverse("backoffice:second_factor_setup")
CODE_PAGE = reverse("backoffice:second_factor")
ADMIN = reverse("admin:index")


def sign_in(client, identifier="operator@example.ru"):
    return client.post(LOGIN, {"identifier": identifier, "password": PASSWORD})


def back_office_urls(appeal_id=1) -> list[str]:
    values = {"pk": appeal_id, "attachment_id": 1, "public_id": "6f1c1c1e-4a52-4a39-9a55-6a4f3c1b2a11"}
    return [QUEUE, reverse("backoffice:payments")] + [
        reverse(name, kwargs={k: values[k] for k in kwargs}) for name, kwargs in id_patterns("backoffice")
    ]


def test_without_a_device_every_back_office_url_leads_to_the_setup(client, operator):
    assert redirected_to(sign_in(client)) == QUEUE
    for url in back_office_urls():
        for response in (client.get(url), client.post(url)):
            assert redirected_to(response).startswith(SETUP), url
    assert "Сотрудники входят с кодом из приложения" in client.get(SETUP).content.decode()


def test_an_admin_without_a_verified_code_cannot_reach_the_admin_site(client, customer):
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    client.post(reverse("admin:login"), {"username": "+79120000001", "password": PASSWORD})
    for url in (ADMIN, reverse("admin:core_auditevent_changelist"), reverse("admin:identity_user_changelist")):
        assert redirected_to(client.get(url)) == f"{SETUP}?next={url.replace('/', '%2F')}"
    give_second_factor(customer)  # with a device: its code first
    assert redirected_to(client.get(ADMIN)) == f"{CODE_PAGE}?next=%2Fadmin%2F"
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert redirected_to(client.post(CODE_PAGE + "?next=/admin/", {"code": code})) == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_the_setup_turns_the_app_on_and_opens_the_back_office(client, operator):
    sign_in(client)
    page = client.get(SETUP + "?next=/backoffice/").content.decode()
    secret = html.unescape(re.search(r'id="totp-secret" value="([^"]+)"', page).group(1)).replace(" ", "")
    response = client.post(SETUP + "?next=/backoffice/", {"code": pyotp.TOTP(secret).now()})
    page = response.content.decode()
    assert response.status_code == 200 and len(re.findall(r"<li><code>", page)) == 10
    assert 'href="/backoffice/">Продолжить' in page
    assert client.get(QUEUE).status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_ON, user=operator.user).exists()


def test_with_a_device_the_code_is_asked_and_audited(client, operator):
    give_second_factor(operator.user)
    sign_in(client)
    assert redirected_to(client.get(QUEUE)) == f"{CODE_PAGE}?next=%2Fbackoffice%2F"
    assert client.post(CODE_PAGE, {"code": "123456"}).status_code == 400
    assert redirected_to(client.get(QUEUE)).startswith(CODE_PAGE)
    assert redirected_to(client.post(CODE_PAGE, {"code": pyotp.TOTP(TOTP_SECRET).now()})) == QUEUE
    assert client.get(QUEUE).status_code == 200
    actions = set(AuditEvent.objects.filter(user=operator.user).values_list("action", flat=True))
    assert {AuditEvent.Action.SECOND_FACTOR_FAILED, AuditEvent.Action.SECOND_FACTOR_USED} <= actions


def test_an_employee_cannot_turn_it_off(operator):
    give_second_factor(operator.user)
    check = second_factor.turn_off(operator.user, PASSWORD, "127.0.0.1")
    assert check.outcome is second_factor.Outcome.INVALID and second_factor.is_on(operator.user)


def test_the_code_page_is_for_employees_only(client, customer):
    assert redirected_to(client.get(CODE_PAGE)) == LOGIN
    assert redirected_to(client.get(SETUP)) == LOGIN


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/backoffice/"])
def test_next_stays_on_this_site(client, operator, target):
    give_second_factor(operator.user)
    sign_in(client)
    code = pyotp.TOTP(TOTP_SECRET).at(time.time())
    assert redirected_to(client.post(f"{CODE_PAGE}?next={target}", {"code": code})) == QUEUE


def test_the_admin_site_never_shows_a_devices_key(client, customer, operator):
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    admin_login(client, User.objects.get(pk=customer.pk))
    device = give_second_factor(operator.user)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in page.content.decode()
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code in (403, 404)
    assert (
        client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}).status_code == 302
    )
    assert not second_factor.is_on(operator.user)  # a lost phone: the employee sets a new one up


def test_a_filtered_queue_survives_the_code(client, operator):
    give_second_factor(operator.user)
    sign_in(client)
    target = f"{QUEUE}?status=new&sort=deadline"
    code_page = redirected_to(client.get(target))
    assert client.get(code_page).status_code == 200
    assert redirected_to(client.get(f"{SETUP}?next={target.replace('&', '%26')}")).endswith("%26sort%3Ddeadline")
    response = client.post(code_page, {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert redirected_to(response) == target


DEVICE_ADMINS = [
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "identity_smsdevice",
    "django_otp_webauthn_webauthncredential",
]


def device_of(kind: str, user):
    if kind == "otp_totp_totpdevice":
        return give_second_factor(user)
    if kind == "otp_static_staticdevice":
        recovery_code(user)
        return StaticDevice.objects.get(user=user)
    if kind == "django_otp_webauthn_webauthncredential":
        return WebAuthnCredential.objects.create(user=user, name="Ключ", credential_id=b"key-" + str(user.pk).encode())
    return SmsDevice.objects.create(user=user, name="SMS", confirmed=True)


@pytest.fixture
def admin(client, customer):
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    admin_login(client, User.objects.get(pk=customer.pk))
    return customer


@pytest.mark.parametrize("kind", DEVICE_ADMINS)
def test_the_admin_site_cannot_add_or_change_devices(client, admin, operator, kind):
    """An administrator who could add a device would know the employee's key."""
    device = device_of(kind, operator.user)
    assert client.get(reverse(f"admin:{kind}_add")).status_code == 403
    assert client.post(reverse(f"admin:{kind}_add"), {"user": admin.pk, "name": "x"}).status_code == 403
    change = reverse(f"admin:{kind}_change", args=[device.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"user": admin.pk, "name": "x", "confirmed": "on"}).status_code == 403
    assert type(device).objects.get(pk=device.pk).user_id == operator.user.pk


@pytest.mark.parametrize("kind", DEVICE_ADMINS)
def test_deleting_a_device_in_the_admin_site_is_audited(client, admin, operator, kind):
    device = device_of(kind, operator.user)
    response = client.post(reverse(f"admin:{kind}_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not type(device).objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SECOND_FACTOR_OFF)
    assert event.user == operator.user and event.details["by"] == "admin" and event.details["admin"] == admin.pk


def test_deleting_devices_in_bulk_is_audited_for_each(client, admin, operator):
    other = make_customer("+79120000002")
    devices = [give_second_factor(operator.user), give_second_factor(other)]
    changelist = reverse("admin:otp_totp_totpdevice_changelist")
    data = {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"}
    assert client.post(changelist, data).status_code == 302
    events = AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_OFF)
    assert sorted(e.user_id for e in events) == sorted([operator.user.pk, other.pk])
    assert all(e.details["admin"] == admin.pk for e in events)
