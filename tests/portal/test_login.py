"""Login by account number, phone and e-mail (G3), the G9/G10 messages, lockout."""

from django.urls import reverse
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity.models import User
from tests.conftest import PASSWORD, make_account, make_customer

LOGIN = reverse("portal:login")
INVALID = "Неверный логин или пароль"


def post_login(client, identifier, password=PASSWORD, region=None):
    return client.post(LOGIN, {"identifier": identifier, "password": password, "region": region.pk})


@pytest.mark.parametrize(
    "identifier", ["660100000001", "+7 (912) 000-00-01", "89120000001", "79120000001", "ANNA@example.ru"]
)
def test_login_with_each_kind_of_identifier(client, customer, sverdlovsk, identifier):
    response = post_login(client, identifier, region=sverdlovsk)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).context["user"] == customer
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, user=customer).exists()


def test_session_key_rotates_at_login(client, customer, sverdlovsk):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    post_login(client, "+79120000001", region=sverdlovsk)
    assert client.session.session_key != before


@pytest.mark.parametrize("identifier", ["+79120000001", "nobody@example.ru", "+79120009999"])
def test_wrong_password_or_unknown_user_gives_one_message(client, customer, sverdlovsk, identifier):
    response = post_login(client, identifier, password="wrong-password", region=sverdlovsk)
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_account_number_in_another_region_is_object_not_found(client, customer, perm):
    response = post_login(client, "6601000000", region=perm)
    assert "Объект не найден" in response.content.decode()


def test_closed_account_shows_not_served_only_after_password(client, sverdlovsk):
    new = make_account(sverdlovsk, "660100000002")
    old = make_account(sverdlovsk, "660100000003", status="closed", replaced_by=new)
    make_customer("+79120000002", old)
    wrong = post_login(client, "660100000003", password="nope-nope-nope", region=sverdlovsk).content.decode()
    assert "Абонент не обслуживается" not in wrong and INVALID in wrong
    right = post_login(client, "660100000003", region=sverdlovsk).content.decode()
    assert "Абонент не обслуживается/Учетная запись заблокирована" in right
    assert "номер телефона или e-mail" in right
    assert "_auth_user_id" not in client.session


def test_blocked_user_shows_not_served(client, sverdlovsk, account):
    make_customer("+79120000005", account, is_active=False)
    page = post_login(client, "+79120000005", region=sverdlovsk).content.decode()
    assert "Абонент не обслуживается/Учетная запись заблокирована" in page


def test_registry_unavailable_shows_object_not_found_with_contacts(client, customer, sverdlovsk, settings):
    settings.KABINET_REGISTRY_AVAILABLE = False
    page = post_login(client, "660100000001", region=sverdlovsk).content.decode()
    assert "Объект не найден" in page
    assert "8-800-700-10-32" in page and sverdlovsk.feedback_url in page
    # Phone and e-mail logins do not need the registry.
    assert post_login(client, "+79120000001", region=sverdlovsk).status_code == 302


def test_lockout_after_ten_failures_says_until_when(client, customer, sverdlovsk):
    for _ in range(9):
        assert post_login(client, "+79120000001", "bad-password-1", sverdlovsk).status_code == 200
    locked = post_login(client, "+79120000001", "bad-password-1", sverdlovsk)
    assert locked.status_code == 429
    assert "Повторите после" in locked.content.decode()
    # Even the right password is refused while locked.
    assert post_login(client, "+79120000001", region=sverdlovsk).status_code == 429
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCKED).count() == 1


def test_form_keeps_identifier_and_region_after_error(client, customer, perm):
    page = post_login(client, "+79120000001", "bad-password-1", perm).content.decode()
    assert 'value="+79120000001"' in page
    assert f'<option value="{perm.pk}" selected>' in page


def test_logout_requires_post_and_ends_session(client, customer, sverdlovsk):
    post_login(client, "+79120000001", region=sverdlovsk)
    assert client.get(reverse("portal:logout")).status_code == 405
    client.post(reverse("portal:logout"))
    assert client.get(reverse("portal:home")).status_code == 302


def test_next_parameter_is_followed_only_on_this_host(client, customer, sverdlovsk):
    data = {"identifier": "+79120000001", "password": PASSWORD, "region": sverdlovsk.pk}
    assert client.post(LOGIN + "?next=/profile/", data)["Location"] == "/profile/"
    client.post(reverse("portal:logout"))
    assert client.post(LOGIN + "?next=https://evil.example/", data)["Location"] == reverse("portal:home")


def test_admin_login_is_rate_limited(client, db):
    User.objects.create_superuser("+79990000000", "Admin-pass-2026")
    for _ in range(10):
        client.post("/admin/login/", {"username": "+79990000000", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "+79990000000", "password": "Admin-pass-2026"})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, identifier="+79990000000").count() == 10
