"""Employees' passkeys (issue 16): a passkey is a second factor an employee may set up instead of
the app, asked for at both staff doors, never dropped below one. Someone who knows only the
password of an employee with a second factor cannot add a passkey of their own."""

from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity import passkeys, second_factor
from tests.factories import PASSWORD, SoftPasskey, give_second_factor, redirected_to

LOGIN = reverse("backoffice:login")
QUEUE = reverse("backoffice:queue")
SETUP = reverse("backoffice:second_factor_setup")
CODE_PAGE = reverse("backoffice:second_factor")
ADD = reverse("backoffice:passkey_add")
OPTIONS = reverse("backoffice:passkey_options")
REMOVE = reverse("backoffice:passkey_remove")
SIGN_IN_OPTIONS = reverse("backoffice:passkey_sign_in_options")
Action = AuditEvent.Action


def sign_in(client, identifier="operator@example.ru"):
    return client.post(LOGIN, {"identifier": identifier, "password": PASSWORD})


def add_passkey(client, key: SoftPasskey, name: str = "Ноутбук", **fields):
    options = client.post(OPTIONS).json()
    return client.post(ADD, {"name": name, "credential": key.create(options), **fields})


def challenge_in_session(client, user) -> dict:
    """Registration options made for `user`, their challenge put in the client's session."""
    request = RequestFactory().post(OPTIONS)
    request.user, request.session = user, {}
    options = passkeys.registration_options(request)
    session = client.session
    session[passkeys.REGISTER_STATE] = request.session[passkeys.REGISTER_STATE]
    session.save()
    return options


@pytest.fixture
def with_passkey(client, operator):
    """The employee set a passkey up as their second factor and signed out."""
    sign_in(client)
    key = SoftPasskey()
    assert add_passkey(client, key).status_code == 200
    client.post(reverse("backoffice:logout"))
    return key


def test_a_passkey_is_an_employees_first_second_factor(client, operator):
    assert redirected_to(client.get(redirected_to(sign_in(client)))).startswith(SETUP)
    page = client.get(SETUP).content.decode()
    assert "Добавить ключ доступа" in page and "Подключение приложения" in page

    response = add_passkey(client, SoftPasskey(), next=QUEUE)

    assert response.status_code == 200
    assert "Продолжить" in response.content.decode()
    assert second_factor.is_on(operator.user) and second_factor.recovery_codes_left(operator.user) == 10
    assert client.get(QUEUE).status_code == 200
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_ON, details__method="passkey").exists()


def test_the_passkey_is_asked_after_the_password(client, operator, with_passkey):
    assert redirected_to(client.get(redirected_to(sign_in(client)))).startswith(CODE_PAGE)
    assert "Войти с ключом доступа" in client.get(CODE_PAGE).content.decode()

    options = client.post(SIGN_IN_OPTIONS).json()
    response = client.post(CODE_PAGE, {"credential": with_passkey.get(options), "next": QUEUE})

    assert redirected_to(response) == QUEUE
    assert client.get(QUEUE).status_code == 200
    used = AuditEvent.objects.get(action=Action.SECOND_FACTOR_USED, user=operator.user)
    assert used.details == {"method": "passkey", "site": "staff"}


def test_with_only_the_password_no_passkey_can_be_added(client, operator, with_passkey):
    """The password alone must not enrol an attacker's key beside the employee's."""
    sign_in(client)
    assert redirected_to(client.post(OPTIONS)).startswith(CODE_PAGE)
    # A challenge in the session, as if the options had been given: still not for this session.
    options = challenge_in_session(client, operator.user)
    response = client.post(ADD, {"name": "Чужой", "credential": SoftPasskey().create(options)})
    assert redirected_to(response).startswith(CODE_PAGE)
    assert second_factor.passkeys(operator.user).count() == 1
    assert redirected_to(client.get(QUEUE)).startswith(CODE_PAGE)


def test_an_employee_keeps_at_least_one_second_factor(client, operator, with_passkey):
    sign_in(client)
    options = client.post(SIGN_IN_OPTIONS).json()
    client.post(CODE_PAGE, {"credential": with_passkey.get(options)})
    key = second_factor.passkeys(operator.user).get()

    assert redirected_to(client.post(REMOVE, {"passkey": key.pk})) == SETUP
    assert second_factor.passkeys(operator.user).exists()
    page = client.get(SETUP).content.decode()
    assert "Это ваш единственный способ входа: сначала добавьте приложение или другой ключ." in page

    give_second_factor(operator.user)
    client.post(REMOVE, {"passkey": key.pk})
    assert not second_factor.passkeys(operator.user).exists()
    off = AuditEvent.objects.get(action=Action.SECOND_FACTOR_OFF, user=operator.user)
    assert off.details["method"] == "passkey"


def test_a_wrong_passkey_is_counted_at_the_staff_door(client, operator, with_passkey):
    sign_in(client)
    options = client.post(SIGN_IN_OPTIONS).json()
    response = client.post(CODE_PAGE, {"credential": SoftPasskey().get(options)})
    assert response.status_code == 400
    assert "Ключ доступа не подошёл" in response.content.decode()
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED, user=operator.user).count() == 1


def test_the_password_alone_gets_no_app_secret_from_the_passkey_pages(client, operator, with_passkey):
    """An empty «Добавить ключ доступа» used to answer with the setup page and a pending app
    secret: whoever knew the password could make codes once the employee confirmed it."""
    TOTPDevice.objects.filter(user=operator.user).delete()  # the one the first setup page made
    sign_in(client)
    assert redirected_to(client.post(ADD, {})).startswith(CODE_PAGE)
    assert redirected_to(client.post(OPTIONS)).startswith(CODE_PAGE)
    assert not TOTPDevice.objects.filter(user=operator.user).exists()
