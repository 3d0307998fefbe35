"""Registration (G4–G7, G11): registry checks, the SMS code, automatic login."""

from datetime import timedelta
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.identity.models import AccountLink, ConsentAcceptance, ConsentDocument, User, VerificationCode
from tests.factories import INVALID_LOGIN, PASSWORD, make_account, make_customer, redirected_to
from tests.factories import registration_data as form_data

REGISTER = reverse("portal:register")
CONSENT = reverse("portal:consent")
CONFIRM = reverse("portal:register_confirm")
HOME = reverse("portal:home")
WELCOME = HOME  # where a right code leads: home, signed in, with «Регистрация завершена»


def test_registration_page_has_hint_fields_and_consent(client, sverdlovsk):
    page = client.get(REGISTER).content.decode()
    for text in [
        "Номер лицевого счета",
        "Номер дома",
        "Регион",
        "Телефон",
        "Пароль",
        "Повторите пароль",
        "E-mail",
        "Что понадобится",
        "согласие на обработку",
        "Отправить",
    ]:
        assert text in page, text
    assert f'<option value="{sverdlovsk.pk}" selected>Свердловский</option>' in page


def test_full_registration_logs_the_user_in(client, account, outbox):
    response = client.post(REGISTER, form_data(account.region))
    assert response.status_code == 302 and response["Location"] == CONFIRM
    assert User.objects.count() == 0  # nothing is created before the code
    page = client.get(CONFIRM).content.decode()
    assert "+7\u00a0912\u00a0***-**-33" in page and "10 минут" in page and "Отправить код повторно" in page
    code = outbox.last_code("+79121112233")
    response = client.post(CONFIRM, {"code": code})
    assert redirected_to(response) == WELCOME
    user = User.objects.get(phone="+79121112233")
    # The e-mail waits for its link (test_registered_email_counts_only_after_its_link).
    assert user.email is None and user.first_name == "Пётр"
    assert user.password.startswith("argon2")
    assert AccountLink.objects.get(account=account).user == user
    assert ConsentAcceptance.objects.filter(user=user, document__version="1.0").exists()
    home = client.get(response["Location"]).content.decode()
    assert "Начать знакомство" in home
    assert 'role="status">Регистрация завершена, Пётр Сидоров. Вы вошли в личный кабинет.</div>' in home
    assert "Регистрация завершена" not in client.get(HOME).content.decode(), "said once"


def test_password_is_never_stored_in_clear_while_waiting(client, account):
    client.post(REGISTER, form_data(account.region))
    code = VerificationCode.objects.get()
    assert PASSWORD not in str(code.payload)
    assert code.payload["password_hash"].startswith("argon2")
    assert len(code.code_hash) == 64


@pytest.mark.parametrize(
    ("overrides", "field_text"),
    [
        ({"account_number": "660199999999"}, "Объект не найден"),
        ({"account_number": "12345"}, "12 цифр"),
        ({"house": "14"}, "Номер дома не совпадает"),
        ({"password2": "Other-password-1"}, "Пароли не совпадают"),
        ({"phone": "+1 202 555 0101"}, "Укажите мобильный телефон"),
        ({"consent": ""}, "Без согласия"),
        ({"password": "12345678", "password2": "12345678"}, "пароль"),
    ],
)
def test_bad_input_is_rejected_at_the_field_and_kept(client, account, overrides, field_text):
    data = form_data(account.region, **overrides)
    response = client.post(REGISTER, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert field_text.lower() in page.lower()
    assert 'value="Petr@Example.ru"' in page or 'value="petr@example.ru"' in page
    assert 'value="Сидоров"' in page
    assert VerificationCode.objects.count() == 0


@pytest.mark.parametrize("house", ["12а", "12 А", "12А", "д. 12а", "12-a"])
def test_house_number_variants_match(client, account, house):
    response = client.post(REGISTER, form_data(account.region, house=house))
    assert redirected_to(response) == CONFIRM, house


def test_closed_account_cannot_be_registered(client, sverdlovsk):
    new = make_account(sverdlovsk, "660100000002")
    make_account(sverdlovsk, "660100000003", status="closed", replaced_by=new)
    page = client.post(REGISTER, form_data(sverdlovsk, account_number="660100000003")).content.decode()
    assert "закрыт" in page


def test_already_registered_account(client, customer, account):
    page = client.post(REGISTER, form_data(account.region)).content.decode()
    assert "уже зарегистрирован" in page


def test_used_phone(client, customer, sverdlovsk):
    make_account(sverdlovsk, "660100000009", house="3")
    data = form_data(sverdlovsk, account_number="660100000009", house="3", phone="+7 912 000-00-01")
    page = client.post(REGISTER, data).content.decode()
    assert "Этот телефон уже указан" in page


def test_used_email_is_refused_with_the_guides_advice(client, customer, sverdlovsk):
    make_account(sverdlovsk, "660100000009", house="3")
    data = form_data(sverdlovsk, account_number="660100000009", house="3", email="ANNA@example.ru")
    page = client.post(REGISTER, data).content.decode()
    assert "Повторная регистрация на этот e-mail невозможна" in page
    assert "Обратную связь" in page and "8-800-700-10-32" in page


def test_registry_unavailable(client, account, settings):
    settings.KABINET_REGISTRY_AVAILABLE = False
    page = client.post(REGISTER, form_data(account.region)).content.decode()
    assert "Объект не найден" in page and "позже" in page


def test_registry_switched_off_for_one_region(client, account):
    account.region.registry_available = False
    account.region.save()
    assert "Объект не найден" in client.post(REGISTER, form_data(account.region)).content.decode()


def test_wrong_code_then_right_code(client, account, outbox):
    client.post(REGISTER, form_data(account.region))
    page = client.post(CONFIRM, {"code": "000000" if outbox.last_code("+79121112233") != "000000" else "111111"})
    assert "Неверный код. Осталось попыток: 4." in page.content.decode()
    assert redirected_to(client.post(CONFIRM, {"code": outbox.last_code("+79121112233")})) == WELCOME


def test_code_dies_after_five_wrong_entries(client, account, outbox):
    client.post(REGISTER, form_data(account.region))
    right = outbox.last_code("+79121112233")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        client.post(CONFIRM, {"code": wrong})
    page = client.post(CONFIRM, {"code": right}).content.decode()
    assert "слишком много раз" in page
    assert not User.objects.exists()


def test_expired_code(client, account, outbox):
    client.post(REGISTER, form_data(account.region))
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = client.post(CONFIRM, {"code": outbox.last_code("+79121112233")}).content.decode()
    assert "Срок действия кода истёк" in page


def test_resend_waits_sixty_seconds_then_replaces_the_code(client, account, outbox):
    client.post(REGISTER, form_data(account.region))
    first = outbox.last_code("+79121112233")
    too_soon = client.post(reverse("portal:register_resend"))
    assert too_soon.status_code == 429 and "Новый код можно будет запросить" in too_soon.content.decode()
    VerificationCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert redirected_to(client.post(reverse("portal:register_resend"))) == CONFIRM
    assert len(outbox.messages()) == 2
    second = outbox.last_code("+79121112233")
    if first != second:
        assert "Неверный код" in client.post(CONFIRM, {"code": first}).content.decode()
    assert redirected_to(client.post(CONFIRM, {"code": second})) == WELCOME


def test_account_taken_while_code_pending(client, account, outbox):
    client.post(REGISTER, form_data(account.region))
    make_customer("+79125550000", account)
    response = client.post(CONFIRM, {"code": outbox.last_code("+79121112233")})
    assert response.status_code == 409
    assert "уже зарегистрирован" in response.content.decode()
    assert not User.objects.filter(phone="+79121112233").exists()


def test_confirm_without_pending_registration_goes_back(client, db):
    assert client.get(CONFIRM)["Location"] == REGISTER


def test_house_guessing_is_rate_limited(client, account):
    for house in range(1, 10):
        client.post(REGISTER, form_data(account.region, house=str(house)))
    page = client.post(REGISTER, form_data(account.region, house="99")).content.decode()
    assert "Слишком много неудачных попыток" in page
    # Locked even with the right house.
    assert "Слишком много неудачных попыток" in client.post(REGISTER, form_data(account.region)).content.decode()


def test_registered_email_counts_only_after_its_link(client, account, outbox, mailbox):
    """Issue 11, point 18: one rule for the e-mail, confirmed first, as in the profile."""
    client.post(REGISTER, form_data(account.region))
    client.post(CONFIRM, {"code": outbox.last_code("+79121112233")})
    user = User.objects.get(phone="+79121112233")
    assert user.email is None
    [letter] = mailbox()
    assert letter.to == ["petr@example.ru"] and "Подтверждение e-mail" in letter.subject
    page = client.get(reverse("portal:profile")).content.decode()
    assert "Ожидает подтверждения: <strong>petr@<wbr>example<wbr>.ru</strong>" in page
    assert "Отправить ссылку ещё раз" in page
    # Until confirmed the address neither logs in nor recovers the password.
    anonymous = Client()
    login = {"identifier": "petr@example.ru", "password": PASSWORD, "region": account.region.pk}
    refused = anonymous.post(reverse("portal:login"), login)
    assert refused.status_code == 200 and INVALID_LOGIN in refused.content.decode()
    anonymous.post(reverse("portal:recover"), {"contact": "petr@example.ru"})
    assert len(mailbox()) == 1
    # The link, opened in the customer's session, makes it the e-mail; nobody is told of a "change".
    path = "/" + re.search(r"https?://[^/\s]+/(\S+)", letter.body).group(1)
    assert client.get(path)["Location"] == reverse("portal:profile")
    user.refresh_from_db()
    assert user.email == "petr@example.ru"
    assert len(mailbox()) == 1 and not [m for m in outbox.messages() if "изменён" in m["text"]]
    assert redirected_to(Client().post(reverse("portal:login"), login)) == HOME


def test_probing_taken_phones_gets_429(client, customer, sverdlovsk, settings):
    """Issue 11, point 5: the form says a phone is taken only so many times."""
    make_account(sverdlovsk, "660100000009", house="3")
    data = form_data(sverdlovsk, account_number="660100000009", house="3", phone="+79120000001", email="")
    statuses = [client.post(REGISTER, data).status_code for _ in range(settings.KABINET_CONTACT_USES_PER_ADDRESS + 1)]
    assert statuses == [400] * settings.KABINET_CONTACT_USES_PER_ADDRESS + [429]
    page = client.post(REGISTER, data).content.decode()
    assert "Слишком много запросов. Повторите после" in page and 'value="+79120000001"' in page


def test_probing_many_phones_from_one_client_gets_429(client, customer, sverdlovsk, settings):
    make_account(sverdlovsk, "660100000009", house="3")
    statuses = [
        client.post(
            REGISTER,
            form_data(sverdlovsk, account_number="660100000009", house="3", phone=f"+7912333{i:04d}", email=""),
        ).status_code
        for i in range(settings.KABINET_CONTACT_USES_PER_IP + 1)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_names_follow_the_rule(client, account, field):
    """Issue 11, point 11."""
    response = client.post(REGISTER, form_data(account.region, **{field: "Пётр\nhttps://evil.example"}))
    assert response.status_code == 400
    assert "Недопустимый символ: перевод строки" in response.content.decode()
    assert not VerificationCode.objects.exists()


def test_the_latest_consent_is_shown_from_the_moment_it_is_published(client, db):
    shown = ConsentDocument.objects.latest()
    older = shown.published_at - timedelta(days=1)
    ConsentDocument.objects.create(version="0.9", title="Старое согласие", text="—", published_at=older)
    for page in (REGISTER, CONSENT):
        assert f"Версия {shown.version}" in client.get(page).content.decode()
    ConsentDocument.objects.create(version="9.9", title="Новое", text="Новый текст", published_at=timezone.now())
    for page in (REGISTER, CONSENT):
        assert "Версия 9.9" in client.get(page).content.decode()
