"""Whether a customer's next request asks for the code, now that the answer comes with the user's
own row (identity.factors): every way a second-factor device appears or disappears is seen by
the very next request of a session that has not entered a code."""

from base64 import b32decode

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import device_classes
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
import pyotp
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity import factors, second_factor
from kabinet.identity.models import SmsDevice
from tests.factories import PASSWORD, customer_login, give_second_factor, make_staff, recovery_code

HOME = reverse("portal:home")
CODE_PAGE = reverse("portal:second_factor")


def asks_for_code(client) -> bool:
    response = client.get(HOME)
    assert response.status_code in (200, 302)
    return response.status_code == 302 and response["Location"].startswith(CODE_PAGE)


@pytest.fixture
def session(client, customer):
    """A customer's session opened before the change under test and never past a code."""
    customer_login(client, customer)
    assert not asks_for_code(client)
    return client


def test_the_app_set_up_is_asked_for_on_the_next_request(session, customer):
    secret = second_factor.start_setup(customer).secret.replace(" ", "")
    assert not asks_for_code(session)  # pending, not confirmed
    check, _ = second_factor.confirm_setup(customer, pyotp.TOTP(secret).now(), None)
    assert check.device is not None
    assert asks_for_code(session)


def test_sms_codes_turned_on_are_asked_for(session, customer):
    SmsDevice.objects.create(user=customer, name="SMS", confirmed=True)
    assert asks_for_code(session)


def test_a_passkey_is_asked_for_and_its_removal_seen(session, customer):
    passkey = WebAuthnCredential.objects.create(
        user=customer, name="Телефон", credential_id=b"id-1", public_key=b"key", sign_count=0, confirmed=True
    )
    assert asks_for_code(session)
    passkey.delete()
    assert not asks_for_code(session)


def test_a_device_made_anywhere_is_asked_for(session, customer):
    key = b32decode("JBSWY3DPEHPK3PXP").hex()
    TOTPDevice.objects.create(user=customer, name="Приложение", key=key, confirmed=True)
    assert asks_for_code(session)


def test_turned_off_by_the_customer_is_no_longer_asked(session, customer):
    give_second_factor(customer)
    assert asks_for_code(session)
    assert second_factor.turn_off(customer, PASSWORD, None).outcome is second_factor.Outcome.OK
    assert not asks_for_code(session)


def test_deleted_in_admin_is_no_longer_asked(session, customer, admin_user):
    device = give_second_factor(customer)
    assert asks_for_code(session)
    second_factor.delete_by_admin([device], admin_user, None)
    assert not asks_for_code(session)


def test_bulk_deleted_or_unconfirmed_is_no_longer_asked(session, customer):
    give_second_factor(customer)
    SmsDevice.objects.create(user=customer, name="SMS", confirmed=True)
    assert asks_for_code(session)
    TOTPDevice.objects.filter(user=customer).delete()
    assert asks_for_code(session)  # SMS codes are still on
    SmsDevice.objects.filter(user=customer).update(confirmed=False)
    assert not asks_for_code(session)


def test_recovery_codes_alone_are_not_a_second_factor(session, customer):
    recovery_code(customer)
    TOTPDevice.objects.filter(user=customer).delete()
    assert StaticDevice.objects.filter(user=customer, confirmed=True).exists()
    assert not asks_for_code(session)


def test_every_django_otp_device_model_but_recovery_codes_counts():
    """A device model added later (a passkey, say) counts without a change: the query asks every
    django-otp device table."""
    sql = str(factors.with_factor_on(get_user_model().objects.all()).query)
    for model in device_classes():
        assert (model._meta.db_table in sql) is not issubclass(model, StaticDevice), model
    assert set(factors.factor_models()) == {TOTPDevice, SmsDevice, WebAuthnCredential}


def test_is_on_asks_the_same_devices_as_the_users_row():
    """One list of second-factor devices: `is_on` (the fallback) and `with_factor_on` (the row
    read on every request) cannot disagree about a device kind."""
    assert second_factor.factor_models is factors.factor_models
    sql = second_factor._any_device_sql()
    tables = {model._meta.db_table for model in device_classes() if model._meta.db_table in sql}
    assert tables == {model._meta.db_table for model in factors.factor_models()}


@pytest.mark.parametrize(
    "devices", [(), ("totp",), ("sms",), ("passkey",), ("static",), ("totp", "static"), ("unconfirmed",)]
)
def test_the_answer_agrees_with_the_rule(customer, devices):
    for kind in devices:
        if kind == "totp":
            give_second_factor(customer)
        elif kind == "sms":
            SmsDevice.objects.create(user=customer, name="SMS", confirmed=True)
        elif kind == "passkey":
            WebAuthnCredential.objects.create(user=customer, credential_id=b"id", public_key=b"k", confirmed=True)
        elif kind == "static":
            StaticDevice.objects.create(user=customer, name="Резервные коды", confirmed=True)
        else:
            TOTPDevice.objects.create(user=customer, name="Приложение", confirmed=False)
    loaded = factors.user_with_factor_on(customer.pk)
    assert loaded == customer and loaded.phone == customer.phone and loaded.date_joined == customer.date_joined
    assert factors.factor_on(loaded) is second_factor.is_on(customer)


def test_a_user_read_another_way_is_asked_about_fail_closed(customer):
    give_second_factor(customer)
    with CaptureQueriesContext(connection) as queries:
        assert factors.factor_on(customer) is True
    assert len(queries) >= 1


def test_a_signed_in_request_reads_only_the_user(session, customer):
    """The session's user and whether a second factor is on: one query, not three."""
    with CaptureQueriesContext(connection) as queries:
        session.get(reverse("portal:tour"))
    users = [q["sql"] for q in queries if "identity_user" in q["sql"] or "device" in q["sql"]]
    assert len(users) == 1, users


def test_an_unknown_or_inactive_user_is_signed_out(session, customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    assert session.get(HOME).status_code == 302
    assert factors.user_with_factor_on(10**9) is None


@pytest.mark.parametrize("app", [False, True])
@pytest.mark.parametrize("sms", [False, True])
@pytest.mark.parametrize("passkey", [False, True])
def test_factors_read_at_once_answer_as_each_question_does(customer, app, sms, passkey):
    # Unconfirmed devices of every kind are there too: they count for none of the answers.
    TOTPDevice.objects.create(user=customer, name="Приложение", confirmed=False)
    SmsDevice.objects.create(user=customer, name="SMS", confirmed=False)
    WebAuthnCredential.objects.create(
        user=customer, name="Черновик", credential_id=b"id-0", public_key=b"key", sign_count=0, confirmed=False
    )
    if app:
        TOTPDevice.objects.create(user=customer, name="Приложение", confirmed=True)
    if sms:
        SmsDevice.objects.create(user=customer, name="SMS", confirmed=True)
    if passkey:
        for n in (1, 2):
            key = {"credential_id": b"id-%d" % n, "public_key": b"k", "sign_count": 0}
            WebAuthnCredential.objects.create(user=customer, name=f"Ключ {n}", confirmed=True, **key)
    found = second_factor.factors(customer)
    assert found.on == second_factor.is_on(customer) == (app or sms or passkey)
    assert found.code_on == second_factor.code_factor_on(customer)
    assert found.sms == (second_factor.sms_device(customer) is not None) == sms
    assert list(found.passkeys) == list(second_factor.passkeys(customer))
    assert found.codes_left == second_factor.recovery_codes_left(customer)
    assert found.sms_allowed == second_factor.may_use_sms(customer)
    pending = TOTPDevice.objects.get(user=customer, confirmed=False)
    assert found.pending.pk == pending.pk
    assert second_factor.setup_of(customer, found.pending) == second_factor.start_setup(customer)


def test_the_answer_read_with_the_user_follows_a_change_in_the_same_request(customer):
    """A view that turns a factor on or off and then draws a page asks again: the answer read
    with the user's row at the request's start is dropped (second_factor.forget_factor_answer)."""
    user = factors.user_with_factor_on(customer.pk)
    assert factors.factor_on(user) is False
    secret = second_factor.start_setup(user).secret.replace(" ", "")
    check, _ = second_factor.confirm_setup(user, pyotp.TOTP(secret).now(), None)
    assert check.device is not None and factors.factor_on(user) is True
    user = factors.user_with_factor_on(customer.pk)
    assert factors.factor_on(user) is True
    assert second_factor.turn_off(user, PASSWORD, None).outcome is second_factor.Outcome.OK
    assert factors.factor_on(user) is False


@pytest.mark.parametrize("how", ["role", "is_staff", "customer", "no phone"])
def test_factors_offer_sms_codes_as_may_use_sms_does(customer, sverdlovsk, how):
    """Customers with a phone only: an employee by a back-office role or by the flag is not
    offered SMS codes, whether asked alone or with the other factors."""
    user = customer
    if how == "role":
        user = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk).user
        user.phone = "+79120000077"
        user.save(update_fields=["phone"])
    elif how == "is_staff":
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    elif how == "no phone":
        user.phone = None
        user.save(update_fields=["phone"])
    found = second_factor.factors(user)
    assert found.sms_allowed == second_factor.may_use_sms(user) == (how == "customer")
    assert found.pending is None and found.codes_left == 0
