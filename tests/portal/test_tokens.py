"""«Токены доступа» in the profile: list, make (the secret shown once), errors at their fields,
revoke; only the customer's own tokens and accounts."""

from django.urls import reverse

from kabinet.identity.models import PersonalAccessToken
from tests.factories import api_token, customer_login, make_account, make_customer

PAGE = reverse("portal:tokens")


def make(client, **data):
    return client.post(PAGE, {"name": "Home Assistant", "rights": "read", "lifetime": "90", **data})


def test_the_profile_leads_to_the_tokens(client, customer):
    customer_login(client, customer)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "Токены доступа" in page and PAGE in page


def test_make_a_token_and_see_its_secret_once(client, customer, account):
    customer_login(client, customer)
    response = make(client, accounts=[account.pk], rights="readings", lifetime="365")
    assert response.status_code == 302  # so that a reload makes no second token
    token = PersonalAccessToken.objects.get()
    shown = client.get(PAGE)
    secret = shown.context["created"]["secret"]
    assert token.token_hash != secret and secret.startswith("kbp_")
    page = shown.content.decode()
    assert secret in page and "Скопируйте его сейчас: больше он показан не будет." in page
    assert token.can_submit_readings and list(token.accounts.all()) == [account]
    again = client.get(PAGE).content.decode()
    assert secret not in again
    assert "Home Assistant" in again and "чтение и показания" in again and account.number in again
    assert "не использовался" in again


def test_bad_input_is_told_at_its_field_and_kept(client, customer, account):
    customer_login(client, customer)
    response = make(client, name="Дача", accounts=[])
    assert response.status_code == 400
    assert response.context["form"].errors == {"accounts": ["Отметьте хотя бы один лицевой счёт."]}
    page = response.content.decode()
    assert 'value="Дача"' in page and 'id="accounts-error"' in page
    assert make(client, name="", accounts=[account.pk]).context["form"].errors == {"name": ["Введите название токена."]}
    assert not PersonalAccessToken.objects.exists()


def test_another_customers_account_is_not_offered_nor_taken(client, customer, sverdlovsk):
    others = make_account(sverdlovsk, "660100000009", flat="9")
    make_customer("+79120000009", others)
    customer_login(client, customer)
    assert others.number not in client.get(PAGE).content.decode()
    response = make(client, accounts=[others.pk])
    assert response.status_code == 400 and "accounts" in response.context["form"].errors


def test_revoke(client, customer, account):
    api_token(customer)
    token = PersonalAccessToken.objects.get()
    customer_login(client, customer)
    response = client.post(reverse("portal:revoke_token", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Токенов пока нет." in client.get(PAGE).content.decode()


def test_another_customers_token_cannot_be_revoked(client, customer, sverdlovsk):
    other = make_customer("+79120000009", make_account(sverdlovsk, "660100000009", flat="9"))
    api_token(other)
    theirs = PersonalAccessToken.objects.get()
    customer_login(client, customer)
    assert client.post(reverse("portal:revoke_token", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert "Тест" not in client.get(PAGE).content.decode()


def test_only_a_customer_session_opens_the_page(client, customer):
    assert client.get(PAGE).status_code == 302


def test_the_english_api_docs_open_in_a_new_tab_and_say_so(client, customer):
    """Swagger UI is English and has no way back to the portal: the tokens page stays open."""
    customer_login(client, customer)
    page = client.get(PAGE).content.decode()
    assert '<a href="/api/v1/docs" target="_blank" rel="noopener">Документация API (на английском)</a>' in page
