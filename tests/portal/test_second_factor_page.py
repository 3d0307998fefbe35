"""«Второй шаг входа» after docs/performance.md step 25: its fixed parts drawn once per process
(`{% once %}`), the empty forms' groups drawn once (`{% field_group %}`), and still the bytes of
the old template (tests/portal/old_templates/second_factor.html, its two includes written in)
drawn from the same response's context, for each state of the page and for each customer."""

from pathlib import Path

from django.template import engines
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
import pytest

from kabinet.core.forms import PasskeyForm, SetupCodeForm
from kabinet.core.templatetags.unbound_fields import field_group, unbound
from kabinet.identity.models import User
from tests.factories import customer_login, make_account, make_customer, verify_session

OLD = Path(__file__).parent / "old_templates" / "second_factor.html"
SETTINGS = reverse("portal:second_factor_settings")
HOSTILE = "<b>\"&'</b>"


def as_before(response) -> str:
    """The response must be what the old template draws from its context."""
    assert response.templates[0].name == "portal/second_factor.html"
    old = engines["django"].from_string(OLD.read_text(encoding="utf-8"))
    before = old.render(response.context[0].flatten(), response.wsgi_request)
    assert response.content.decode() == before
    return before


def passkey(user: User, name: str = "Ноутбук") -> None:
    WebAuthnCredential.objects.create(
        user=user, name=name, credential_id=name.encode(), public_key=b"k", sign_count=0, confirmed=True
    )


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


STATES = {
    "nothing on": lambda client, user: None,
    "no phone": lambda client, user: User.objects.filter(pk=user.pk).update(phone=None),
    "the app on": lambda client, user: verify_session(client, user),
    "the app and passkeys on": lambda client, user: (
        passkey(user, HOSTILE),
        passkey(user),
        verify_session(client, user),
    ),
}


@pytest.mark.parametrize("state", list(STATES))
def test_each_state_as_before(signed_in, customer, state):
    STATES[state](signed_in, customer)
    signed_in.get(SETTINGS)  # drawn afresh, then from the drawings
    page = as_before(signed_in.get(SETTINGS))
    assert ('id="totp-secret"' in page) is ("app" not in state)


def test_refused_forms_as_before(signed_in, customer):
    page = as_before(signed_in.post(SETTINGS, {"code": "12"}))
    assert 'class="error-summary"' in page and "field-invalid" in page
    verify_session(signed_in, customer)
    response = signed_in.post(reverse("portal:second_factor_off"), {"proof": "wrong"})
    assert response.status_code == 400 and "Неверный код или пароль." in as_before(response)
    assert 'class="error-summary"' not in as_before(signed_in.get(SETTINGS))


def test_each_customer_sees_their_own_secret(client, customer, sverdlovsk):
    customer_login(client, customer)
    first = as_before(client.get(SETTINGS))
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"), first_name=HOSTILE)
    customer_login(client, other)
    second = as_before(client.get(SETTINGS))
    secrets = [TOTPDevice.objects.get(user=user, confirmed=False).key for user in (customer, other)]
    assert secrets[0] != secrets[1]
    for page, user in ((first, customer), (second, other)):
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        shown = second_factor_secret(page)
        assert shown == second_factor_secret_of(device)


def second_factor_secret(page: str) -> str:
    return page.split('id="totp-secret" value="', 1)[1].split('"', 1)[0]


def second_factor_secret_of(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@pytest.mark.parametrize(("form_class", "name"), [(SetupCodeForm, "code"), (PasskeyForm, "name")])
def test_the_groups_drawn_once_are_the_forms_own(form_class, name):
    assert field_group(form_class(), name) == form_class()[name].as_field_group()
    assert field_group(unbound(form_class), name) == form_class()[name].as_field_group()
    relabelled = form_class()
    relabelled.fields[name].label = HOSTILE
    assert field_group(relabelled, name) == relabelled[name].as_field_group()
    assert HOSTILE not in field_group(form_class(), name)
    refused = form_class({name: ""})
    assert refused.errors
    assert field_group(refused, name) == refused[name].as_field_group()
    assert "field-invalid" in field_group(refused, name)
    prefixed = form_class(prefix="other")
    assert field_group(prefixed, name) == prefixed[name].as_field_group()


def test_only_listed_forms_are_kept():
    with pytest.raises(TypeError):
        unbound(User)
