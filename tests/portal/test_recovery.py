"""«Забыли пароль?» (G8): by phone code or e-mail link; same answer for unknown identifiers;
a reset ends every other session."""

import re

from django.apps import apps
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import get_random_string
import pytest

from kabinet.identity.models import VerificationCode
from kabinet.notifications.models import Message
from tests.factories import PASSWORD, login_url, redirected_to

RECOVER = reverse("portal:recover")
HOME = reverse("portal:home")
NEW = "Novyi-parol-2026"


def login(client, identifier, password, region):
    return client.post(reverse("portal:login"), {"identifier": identifier, "password": password, "region": region.pk})


def set_password(client, password=NEW):
    return client.post(reverse("portal:set_password"), {"password": password, "password2": password})


def test_reset_by_phone_sets_new_password_and_ends_other_sessions(client, customer, sverdlovsk, outbox):
    other = Client()
    login(other, "+79120000001", PASSWORD, sverdlovsk)
    assert other.get(reverse("portal:home")).status_code == 200

    response = client.post(RECOVER, {"contact": "8 912 000 00 01"})
    assert response["Location"] == reverse("portal:recover_code")
    response = client.post(reverse("portal:recover_code"), {"code": outbox.last_code("+79120000001")})
    assert response["Location"] == reverse("portal:set_password")
    assert set_password(client)["Location"] == reverse("portal:login")

    assert redirected_to(other.get(HOME)) == login_url(HOME)  # the old session is gone
    assert redirected_to(login(client, "+79120000001", NEW, sverdlovsk)) == HOME
    assert "Неверный логин" in login(Client(), "+79120000001", PASSWORD, sverdlovsk).content.decode()


def test_unknown_phone_gets_the_same_page_and_no_sms(client, customer, outbox):
    response = client.post(RECOVER, {"contact": "+7 912 999-99-99"})
    assert response["Location"] == reverse("portal:recover_code")
    page = client.get(response["Location"]).content.decode()
    assert "+7\u00a0912\u00a0***-**-99" in page
    assert outbox.messages() == []
    code = VerificationCode.objects.get(phone="+79129999999")
    assert code.user is None
    # Whatever is typed, nothing is granted.
    assert "Неверный код" in client.post(reverse("portal:recover_code"), {"code": "123456"}).content.decode()
    assert client.get(reverse("portal:set_password")).status_code == 400


def test_reset_by_email_link_works_once(client, customer, sverdlovsk, mailbox):
    page = client.post(RECOVER, {"contact": "ANNA@example.ru"}).content.decode()
    assert "Проверьте почту" in page
    assert len(mailbox()) == 1
    assert mailbox()[0].body.startswith("Здравствуйте, Анна!\n\n"), "by name"
    link = re.search(r"https?://\S+", mailbox()[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path)["Location"] == reverse("portal:set_password")
    assert redirected_to(set_password(client)) == reverse("portal:login")
    assert redirected_to(login(Client(), "anna@example.ru", NEW, sverdlovsk)) == HOME
    # The same link is dead now.
    again = Client()
    assert again.get("/" + path).status_code == 400


def test_unknown_email_gets_the_same_answer(client, customer, mailbox):
    page = client.post(RECOVER, {"contact": "nobody@example.ru"}).content.decode()
    assert "Проверьте почту" in page
    assert mailbox() == []


def test_new_password_is_validated_and_kept_on_error(client, customer, outbox):
    client.post(RECOVER, {"contact": "+79120000001"})
    client.post(reverse("portal:recover_code"), {"code": outbox.last_code("+79120000001")})
    response = client.post(reverse("portal:set_password"), {"password": NEW, "password2": NEW + "x"})
    assert response.status_code == 400
    assert "Пароли не совпадают" in response.content.decode()
    assert f'value="{NEW}"' in response.content.decode()


def test_bad_contact_is_explained(client, db):
    response = client.post(RECOVER, {"contact": "12345"})
    assert response.status_code == 400
    assert "Укажите телефон" in response.content.decode()


def test_set_password_without_grant_is_refused(client, db):
    assert client.get(reverse("portal:set_password")).status_code == 400


def test_a_reset_lifts_the_login_lock(client, customer, sverdlovsk, outbox, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 3
    for _ in range(3):
        login(client, "660100000001", "wrong-password", sverdlovsk)
    assert "Повторите после" in login(client, "660100000001", PASSWORD, sverdlovsk).content.decode()

    client.post(RECOVER, {"contact": "+79120000001"})
    client.post(reverse("portal:recover_code"), {"code": outbox.last_code("+79120000001")})
    set_password(client)

    assert redirected_to(login(client, "660100000001", NEW, sverdlovsk)) == HOME


def _rows() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def _request_reset(client, address: str, capture) -> tuple[int, dict[str, int], list]:
    """Queries run and rows written by the request itself (what runs after commit is the
    background step, and is captured, not run)."""
    before = _rows()
    with CaptureQueriesContext(connection) as queries, capture() as callbacks:
        response = client.post(RECOVER, {"contact": address})
    assert response.status_code == 200
    after = _rows()
    return len(queries), {k: after[k] - before[k] for k in after if after[k] != before[k]}, callbacks


def test_known_and_unknown_email_do_the_same_work(customer, django_capture_on_commit_callbacks):
    """Issue 11, point 6: the request costs the same for a customer's address and any other."""
    capture = django_capture_on_commit_callbacks
    # The footer's contacts are read once per process, not per request: read them first. (Not
    # from the consent page: a transactional test may run after a flush emptied its document.)
    Client().get(reverse("portal:login"))
    known_queries, known_rows, known_steps = _request_reset(Client(), "anna@example.ru", capture)
    unknown_queries, unknown_rows, unknown_steps = _request_reset(Client(), "nobody@example.ru", capture)
    assert known_queries == unknown_queries
    assert known_rows == unknown_rows == {"core.AuditEvent": 1}
    assert len(known_steps) == len(unknown_steps) == 1
    # The background step mails only the customer.
    for step in known_steps + unknown_steps:
        step()
    assert list(Message.objects.values_list("to", "subject")) == [
        ("anna@example.ru", "Восстановление пароля в личном кабинете")
    ]


def test_mail_to_one_address_is_bounded(client, customer, mailbox, settings):
    """Issue 11, point 5: recovery sent 15 e-mails to one address before."""
    statuses = [client.post(RECOVER, {"contact": "anna@example.ru"}).status_code for _ in range(15)]
    limit = settings.KABINET_CONTACT_USES_PER_ADDRESS
    assert statuses == [200] * limit + [429] * (15 - limit)
    assert len(mailbox()) == limit
    page = client.post(RECOVER, {"contact": "anna@example.ru"}).content.decode()
    assert "Слишком много запросов. Повторите после" in page and 'value="anna@example.ru"' in page


def _served(address: str) -> tuple[int, dict[str, int], object]:
    """POST /recover/ through the portal's WSGI application, as runserver or gunicorn serve
    it: the whole answer is read (queries run and rows written until then are returned) and
    the body is handed back for the caller to close, as the server does after sending it."""
    from kabinet.wsgi import application

    secret = get_random_string(32)  # a CSRF secret of our own, as cookie and form field
    data = {"contact": address, "csrfmiddlewaretoken": secret}
    environ = RequestFactory().post(RECOVER, data, HTTP_COOKIE=f"csrftoken={secret}").environ
    statuses = []
    before = _rows()
    with CaptureQueriesContext(connection) as queries:
        body = application(environ, lambda status, headers: statuses.append(status))
        answer = b"".join(body)
    after = _rows()
    assert statuses == ["200 OK"] and "Проверьте почту" in answer.decode()
    return len(queries), {k: after[k] - before[k] for k in after if after[k] != before[k]}, body


@pytest.mark.django_db(transaction=True)
def test_the_answer_is_sent_before_the_link_is_made(customer, mailbox):
    """Issue 11, point 6, in the embedded mode: with no broker the background step runs in this
    process, so it starts only once the answer is out, for a customer's address and any other."""
    # The footer's contacts are read once per process, not per request: read them first. (Not
    # from the consent page: a transactional test may run after a flush emptied its document.)
    Client().get(reverse("portal:login"))
    known_queries, known_rows, known_body = _served("anna@example.ru")
    unknown_queries, unknown_rows, unknown_body = _served("nobody@example.ru")
    assert known_queries == unknown_queries
    assert known_rows == unknown_rows == {"core.AuditEvent": 1}
    assert mailbox() == []
    known_body.close()
    unknown_body.close()
    assert [(m.to, m.subject) for m in mailbox()] == [(["anna@example.ru"], "Восстановление пароля в личном кабинете")]
