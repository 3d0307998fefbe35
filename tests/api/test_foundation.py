"""The API's common ground: mounted at /api/v1/, its schema and docs (no CDN), bearer tokens,
every error a problem (RFC 9457), conditional reads."""

import json

from django.conf import settings
import pytest

from kabinet.api.pagination import Pagination
from kabinet.api.validation import field_errors
from tests.factories import access_token, api_token, bearer, make_account, make_customer

PROFILE = "/api/v1/profile"


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == response.status_code
    return body


@pytest.mark.django_db
def test_the_schema_lists_the_operations_and_the_bearer_scheme(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/profile" in schema["paths"] and "/api/v1/auth/token" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_the_docs_load_swagger_from_our_own_static_files(client):
    page = client.get("/api/v1/docs").content.decode()
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_ninja_is_pinned_in_requirements_and_constraints():
    for name in ("requirements.txt", "constraints.txt"):
        text = (settings.BASE_DIR / name).read_text()
        assert "django-ninja==" in text, name


def test_the_profile_with_a_personal_token(client, customer, account):
    response = client.get(PROFILE, headers=bearer(api_token(customer, write=False)))
    assert response.status_code == 200
    assert response.json() == {
        "first_name": "Анна",
        "last_name": "Иванова",
        "phone": "+79120000001",
        "email": "anna@example.ru",
        "token": {"kind": "personal", "can_submit_readings": False, "accounts": [account.number]},
    }


def test_the_profile_with_an_access_token_reaches_all_the_users_accounts(client, customer, account, sverdlovsk):
    second = make_account(sverdlovsk, "660100000002", flat="6")
    customer.account_links.create(account=second)
    body = client.get(PROFILE, headers=bearer(access_token(customer))).json()
    assert body["token"] == {"kind": "access", "can_submit_readings": True, "accounts": [account.number, second.number]}


def test_a_personal_token_reaches_only_its_accounts(client, customer, account, sverdlovsk):
    second = make_account(sverdlovsk, "660100000002", flat="6")
    customer.account_links.create(account=second)
    body = client.get(PROFILE, headers=bearer(api_token(customer, second))).json()
    assert body["token"]["accounts"] == [second.number]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer kbp_nonsense", "Basic YTpi", "Bearer kba_nonsense"])
def test_no_or_a_wrong_token_is_a_401_problem(client, customer, header):
    response = client.get(PROFILE, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "токен" in problem(response)["detail"]


def test_an_employee_or_a_blocked_users_token_is_refused(client, customer, account):
    secret = api_token(customer)
    customer.is_active = False
    customer.save()
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 401
    customer.is_active, customer.is_staff = True, True
    customer.save()
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize("kind", ["personal", "access"])
def test_a_back_office_role_or_a_superuser_refuses_both_kinds_of_token(client, customer, account, kind):
    """The employee check is part of the token's own query (identity.staff.staff_condition):
    a role granted by appeals, or the superuser flag, refuses a token already issued."""
    from kabinet.appeals.models import StaffRole

    secret = api_token(customer) if kind == "personal" else access_token(customer)
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 200
    role = StaffRole.objects.create(user=customer)
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 401
    role.delete()
    customer.is_superuser = True
    customer.save()
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 401


@pytest.mark.django_db
def test_an_unknown_path_and_a_wrong_method_are_problems(client):
    for path in ("/api/v1/nowhere", "/api/v1/"):  # Django's 404, and one a view of ninja's raises
        missing = client.get(path)
        assert missing.status_code == 404 and problem(missing)["detail"] == "Не найдено."
    wrong = client.delete(PROFILE)
    assert wrong.status_code == 405 and problem(wrong) and "GET" in wrong["Allow"]


@pytest.mark.django_db
def test_a_validation_error_names_its_fields_in_russian(client):
    response = client.post("/api/v1/auth/token", {"identifier": 5}, content_type="application/json")
    assert response.status_code == 422
    assert problem(response)["errors"] == {"identifier": ["Ожидается строка."], "password": ["Обязательное поле."]}


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_problem(client):
    response = client.post("/api/v1/auth/token", "{oops", content_type="application/json")
    assert response.status_code in (400, 422)
    assert problem(response)["detail"]


def test_field_names_drop_the_source_and_the_views_parameter():
    errors = [
        {"type": "missing", "loc": ("body", "payload", "region")},
        {"type": "less_than_equal", "loc": ("query", "limit"), "ctx": {"le": 200}},
        {"type": "value_error", "loc": ("body", "payload", "values", 0), "ctx": {"error": "Своё сообщение."}},
        {"type": "something_new", "loc": ("body", "payload")},
    ]
    assert field_errors(errors) == {
        "region": ["Обязательное поле."],
        "limit": ["Должно быть не больше 200."],
        "values.0": ["Своё сообщение."],
        "body": ["Неверное значение."],
    }


def test_a_read_has_an_etag_and_answers_304_when_unchanged(client, customer):
    headers = bearer(api_token(customer))
    first = client.get(PROFILE, headers=headers)
    assert first["ETag"] and "Authorization" in first["Vary"] and first["Cache-Control"] == "no-store, private"
    again = client.get(PROFILE, headers={**headers, "If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    customer.first_name = "Мария"
    customer.save()
    changed = client.get(PROFILE, headers={**headers, "If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_pagination_has_our_bounds():
    assert Pagination.Input(limit=200).limit == 200
    with pytest.raises(ValueError):
        Pagination.Input(limit=201)
    assert Pagination.Input().limit == 50 and Pagination.Output.model_fields.keys() >= {"count", "items"}


def test_tokens_of_one_customer_show_nothing_of_another(client, customer, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000009", flat="9"))
    body = client.get(PROFILE, headers=bearer(api_token(other))).json()
    assert body["phone"] == "+79120000002" and body["token"]["accounts"] == ["660100000009"]


def test_a_crash_is_a_500_problem_that_tells_nothing_inside(client, customer, monkeypatch):
    def crash(principal):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("kabinet.api.routers.profile.accounts_of", crash)  # a bug, simulated
    response = client.get(PROFILE, headers=bearer(api_token(customer)))
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode() and problem(response)["detail"].startswith("Ошибка")


def test_json_is_utf_8_not_escaped(client, customer):
    response = client.get(PROFILE, headers=bearer(api_token(customer)))
    assert "Анна".encode() in response.content and response["Content-Type"] == "application/json; charset=utf-8"


def test_a_token_costs_one_query(client, customer, account, django_assert_num_queries):
    """The token with its user (one join) and the employee check (a condition of the same
    query); a personal token's accounts are a subquery of the accounts' own query, not one
    more (bench/api.py). The profile itself is one more. last_used_at is written at most once
    a minute."""
    personal, access = api_token(customer), access_token(customer)
    client.get(PROFILE, headers=bearer(personal))  # the first use writes last_used_at
    with django_assert_num_queries(2):
        client.get(PROFILE, headers=bearer(personal))
    with django_assert_num_queries(2):
        client.get(PROFILE, headers=bearer(access))
