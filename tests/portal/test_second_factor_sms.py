"""SMS codes as a customer's second factor (issue 16): with NIST SP 800-63B's warning, confirmed
by a code to the profile's phone, asked after the password; never for employees."""

from datetime import timedelta

from django.urls import reverse
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from tests.factories import PASSWORD, make_staff, post_login, redirected_to

SETTINGS = reverse("portal:second_factor_settings")
CODE_PAGE = reverse("portal:second_factor")
HOME = reverse("portal:home")
PHONE = "+79120000001"


@pytest.fixture
def signed_in(client, customer, sverdlovsk, settings):
    settings.KABINET_CODE_RESEND_AFTER = timedelta(0)  # the sign-in's code right after the setup's
    assert redirected_to(post_login(client, PHONE, region=sverdlovsk)) == HOME
    return client


def turn_on_sms(client, outbox) -> list[str]:
    page = client.post(reverse("portal:second_factor_sms_setup")).content.decode()
    assert 'for="id_sms_code">Код из SMS' in page
    response = client.post(reverse("portal:second_factor_sms_confirm"), {"sms_code": outbox.last_code(PHONE)})
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_warns_as_nist_does(signed_in):
    page = signed_in.get(SETTINGS).content.decode()
    assert "SMS защищает слабее приложения" in page and "NIST SP 800-63B" in page
    assert "Получать коды по SMS" in page


def test_sms_codes_turn_on_with_a_code_and_are_asked_at_sign_in(signed_in, customer, sverdlovsk, outbox):
    page = turn_on_sms(signed_in, outbox)
    assert page.count("<li><code>") == 10  # recovery codes too
    assert second_factor.is_on(customer) and second_factor.app_device(customer) is None
    assert AuditEvent.objects.get(action=AuditEvent.Action.SECOND_FACTOR_ON, user=customer).details["method"] == "sms"
    signed_in.post(reverse("portal:logout"))
    assert redirected_to(post_login(signed_in, PHONE, region=sverdlovsk)) == CODE_PAGE
    page = signed_in.get(CODE_PAGE).content.decode()
    assert 'for="id_code">Код из SMS' in page and "Отправить код по SMS" in page
    assert redirected_to(signed_in.post(reverse("portal:second_factor_sms"))) == CODE_PAGE
    code = outbox.last_code(PHONE)
    assert signed_in.post(CODE_PAGE, {"code": "000000"}).status_code == 400
    assert redirected_to(signed_in.post(CODE_PAGE, {"code": code})) == HOME
    assert signed_in.get(HOME).status_code == 200
    used = AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_USED, user=customer).get()
    assert used.details["method"] == "sms"
    signed_in.post(reverse("portal:logout"))
    post_login(signed_in, PHONE, region=sverdlovsk)
    assert signed_in.post(CODE_PAGE, {"code": code}).status_code == 400  # good once


def test_a_wrong_code_turns_nothing_on(signed_in, customer, outbox):
    signed_in.post(reverse("portal:second_factor_sms_setup"))
    response = signed_in.post(reverse("portal:second_factor_sms_confirm"), {"sms_code": "000000"})
    assert response.status_code == 400 and not second_factor.is_on(customer)


def test_a_remembered_browser_works_with_sms_too(signed_in, customer, sverdlovsk, outbox):
    turn_on_sms(signed_in, outbox)
    signed_in.post(reverse("portal:logout"))
    post_login(signed_in, PHONE, region=sverdlovsk)
    signed_in.post(reverse("portal:second_factor_sms"))
    signed_in.post(CODE_PAGE, {"code": outbox.last_code(PHONE), "remember": "on"})
    signed_in.post(reverse("portal:logout"))
    assert redirected_to(post_login(signed_in, PHONE, region=sverdlovsk)) == HOME


def test_never_for_employees(sverdlovsk):
    operator_user = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk).user
    operator_user.phone = "+79120000055"
    assert not second_factor.may_use_sms(operator_user)
    with pytest.raises(PermissionError):
        second_factor.start_sms_setup(operator_user, "127.0.0.1")


def test_the_pages_of_an_sms_customer_speak_of_sms(signed_in, customer, sverdlovsk, outbox):
    turn_on_sms(signed_in, outbox)
    page = signed_in.get(SETTINGS).content.decode()
    assert "<h1>Второй шаг входа</h1>" in page and "код из SMS" in page
    assert "приложения‑аутентификатора" not in page and "Код из приложения" not in page
    signed_in.post(reverse("portal:logout"))
    post_login(signed_in, PHONE, region=sverdlovsk)
    page = signed_in.get(CODE_PAGE).content.decode()
    assert "Введите код из SMS" in page and "приложения‑аутентификатора" not in page
    signed_in.post(reverse("portal:second_factor_sms"))
    signed_in.post(CODE_PAGE, {"code": outbox.last_code(PHONE)})
    response = signed_in.post(reverse("portal:second_factor_off"), {"proof": PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Второй шаг входа отключён." in page and "из приложения отключён" not in page
