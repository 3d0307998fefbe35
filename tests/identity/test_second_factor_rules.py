"""Second-factor rules below the pages (issue 16 review): an unknown client address shares no
counter, a pending app cannot be confirmed while SMS codes are on, and the login's audit says the
code is still owed."""

import time

from django.test import Client
from django.urls import reverse
import pyotp
import time_machine

from kabinet.appeals.models import StaffRole
from kabinet.core.models import AuditEvent
from kabinet.identity import api_tokens, second_factor
from kabinet.identity.models import SmsDevice
from tests.factories import PASSWORD, TOTP_SECRET, PhoneApp, give_second_factor, make_customer, make_staff, post_login


def test_unknown_addresses_share_no_counter(customer, settings):
    settings.KABINET_FAILURES_PER_IP = 2
    other = make_customer("+79120000002")
    give_second_factor(other)
    for _ in range(3):
        second_factor.verify(customer, "000000", None)
    check = second_factor.verify(other, pyotp.TOTP(TOTP_SECRET).now(), None)
    assert check.outcome is second_factor.Outcome.OK


def test_a_pending_app_is_not_confirmed_while_sms_codes_are_on(customer):
    setup = second_factor.start_setup(customer)
    SmsDevice.objects.create(user=customer, name="SMS", confirmed=True)
    check, codes = second_factor.confirm_setup(customer, pyotp.TOTP(setup.secret.replace(" ", "")).now(), None)
    assert check.outcome is second_factor.Outcome.INVALID and codes == []
    assert second_factor.app_device(customer) is None


def login_event(user) -> dict:
    return AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, user=user).latest("pk").details


def test_the_login_event_says_when_a_code_is_still_owed(client, customer, sverdlovsk):
    operator = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)
    post_login(client, "+79120000001", region=sverdlovsk)
    assert "second_factor" not in login_event(customer)
    give_second_factor(customer)
    post_login(Client(), "+79120000001", region=sverdlovsk)
    assert login_event(customer)["second_factor"] == "pending"
    api_tokens.sign_in("+79120000001", PASSWORD, sverdlovsk, "192.0.2.1")
    assert login_event(customer) == {"door": "api", "second_factor": "pending"}
    Client().post(reverse("backoffice:login"), {"identifier": "operator@example.ru", "password": PASSWORD})
    assert login_event(operator.user)["second_factor"] == "pending"  # employees always owe one


def test_a_code_that_arrives_in_the_next_step_still_leads_to_the_codes_after_it(customer):
    """A phone shows a code at the end of its 30-second step and it reaches the server in the
    next one: taken (drift -1, django-otp's OTP_TOTP_SYNC). The phone's following code is good,
    and so is the one the phone shows when the person signs in a few seconds later; a code
    counted from the server's clock instead (now + 30 s) is not: PhoneApp counts so."""
    give_second_factor(customer)
    phone = PhoneApp(TOTP_SECRET)
    end_of_a_step = (int(time.time()) // 30 + 2) * 30 - 0.2
    with time_machine.travel(end_of_a_step, tick=False):
        shown = phone.now()
    with time_machine.travel(end_of_a_step + 0.5, tick=False):
        assert second_factor.verify_code(customer, shown)
    with time_machine.travel(end_of_a_step + 5, tick=False):
        assert not second_factor.verify_code(customer, phone.at(time.time() + 30))
        assert second_factor.verify_code(customer, phone.next())
