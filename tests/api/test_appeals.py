"""Appeals through the API: the taxonomy, the customer's appeals, files downloaded with the token,
a new appeal and a reply with the page's rules — refused as a whole before anything is stored."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
import pytest

from kabinet.appeals.models import Appeal, Attachment, Message, Status, Upload
from tests.factories import (
    PDF,
    PNG,
    access_token,
    api_token,
    bearer,
    make_account,
    make_appeal,
    make_complaint,
    make_customer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def headers(customer):
    return bearer(access_token(customer))


def pdf(name: str = "справка.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def form(account, reason, **fields) -> dict:
    return {"reason": reason.pk, "account_id": account.pk, "text": "Прошу сделать перерасчёт.", **fields}


def stored_files(tmp_path) -> list:
    folder = tmp_path / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_the_topics_carry_their_reasons_and_the_limits(client, customer, reason, settings):
    settings.KABINET_APPEAL_MAX_FILES, settings.KABINET_APPEAL_MAX_FILE_MB = 3, 4
    response = client.get("/api/v1/appeals/topics", headers=bearer(api_token(customer, write=False)))
    assert response.status_code == 200
    body = response.json()
    account_topic = next(t for t in body["topics"] if t["name"] == "Лицевой счёт")
    assert account_topic["reasons"] == [
        {
            "id": reason.pk,
            "name": "Перерасчёт",
            "documents_hint": "Справка о временном отсутствии.",
            "answer_days": 10,
            "account_required": True,
            "files_required": False,
        }
    ]
    assert body["limits"] == {
        "text_max": settings.KABINET_APPEAL_TEXT_MAX,
        "files": 3,
        "file_mb": 4,
        "total_mb": 12,
        "content_types": ["application/pdf", "image/jpeg", "image/png"],
    }


def test_the_list_is_the_customers_newest_first_in_pages(client, customer, account, reason, headers):
    first, second = make_appeal(customer, account, reason), make_appeal(customer, account, reason)
    Appeal.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=1))
    response = client.get("/api/v1/appeals?limit=1", headers=headers)
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [a["number"] for a in response.json()["items"]] == [second.number]
    assert client.get("/api/v1/appeals?limit=1&offset=1", headers=headers).json()["items"][0]["number"] == first.number
    assert client.get("/api/v1/appeals?status=closed", headers=headers).json()["count"] == 0


def test_the_detail_has_the_conversation_and_the_files(client, customer, account, reason, headers):
    appeal = make_appeal(customer, account, reason)
    response = client.get(f"/api/v1/appeals/{appeal.number}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["reason"] == "Перерасчёт" and body["status"] == "new" and body["can_write"] is True
    (attached,) = body["files"]
    assert attached["name"] == "справка.pdf" and attached["size"] == len(PDF)
    assert attached["url"] == f"/api/v1/appeals/{appeal.number}/files/{attached['id']}"

    assert body["contact_method"] == "phone"


@pytest.mark.parametrize(("chosen", "said"), [("post", "post"), ("email", "email"), ("phone", "phone")])
def test_a_complaint_says_how_its_answer_comes(client, customer, account, headers, chosen, said):
    """By letter its messages go by SMS (the appeal's contact_method): the API says «post»."""
    appeal = make_complaint(customer, account, contact_method=chosen)
    body = client.get(f"/api/v1/appeals/{appeal.number}", headers=headers).json()
    assert body["contact_method"] == said


def test_a_file_comes_only_with_the_owners_token(client, customer, account, reason, headers, sverdlovsk):
    appeal = make_appeal(customer, account, reason)
    url = f"/api/v1/appeals/{appeal.number}/files/{appeal.attachments.get().pk}"
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert {"private", "no-store"} <= set(response["Cache-Control"].replace(" ", "").split(","))
    assert "attachment" in response["Content-Disposition"]
    assert client.get(url).status_code == 401  # no public URL: without the token, nothing
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="9"))
    assert client.get(url, headers=bearer(access_token(other))).status_code == 404


def test_another_customers_appeal_is_not_found(client, customer, account, reason, sverdlovsk):
    appeal = make_appeal(customer, account, reason)
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="9"))
    headers = bearer(access_token(other))
    assert client.get(f"/api/v1/appeals/{appeal.number}", headers=headers).status_code == 404
    response = client.post(f"/api/v1/appeals/{appeal.number}/messages", {"text": "Моё"}, headers=headers)
    assert response.status_code == 404
    assert client.get("/api/v1/appeals", headers=headers).json()["count"] == 0
    assert not appeal.messages.exists()


def test_a_scoped_token_sees_only_its_accounts_appeals(client, customer, account, reason, sverdlovsk):
    second = make_account(sverdlovsk, "660100000002", flat="9")
    customer.account_links.create(account=second)
    mine, elsewhere = make_appeal(customer, account, reason), make_appeal(customer, second, reason)
    headers = bearer(api_token(customer, account, write=False))
    assert [a["number"] for a in client.get("/api/v1/appeals", headers=headers).json()["items"]] == [mine.number]
    assert client.get(f"/api/v1/appeals/{elsewhere.number}", headers=headers).status_code == 404
    file_url = f"/api/v1/appeals/{elsewhere.number}/files/{elsewhere.attachments.get().pk}"
    assert client.get(file_url, headers=headers).status_code == 404


def test_an_appeal_is_made_with_its_files(client, customer, account, reason, headers):
    png = SimpleUploadedFile("счётчик.png", PNG, content_type="image/png")
    response = client.post("/api/v1/appeals", form(account, reason, files=[pdf(), png]), headers=headers)
    assert response.status_code == 201, response.content
    body = response.json()
    appeal = Appeal.objects.get(number=body["number"])
    assert appeal.customer == customer and appeal.reason == reason and appeal.contact_method == "phone"
    assert sorted(f["name"] for f in body["files"]) == ["справка.pdf", "счётчик.png"]
    assert not Upload.objects.exists()  # moved into attachments


def test_every_wrong_field_is_named_and_nothing_is_stored(client, customer, reason, headers, sverdlovsk, tmp_path):
    theirs = make_account(sverdlovsk, "660100000002", flat="9")
    make_customer("+79120000002", theirs)
    bad = SimpleUploadedFile("скрипт.pdf", b"#!/bin/sh\necho hi\n")
    data = {"reason": reason.pk + 100, "account_id": theirs.pk, "text": "   ", "files": [pdf(), bad]}
    response = client.post("/api/v1/appeals", data, headers=headers)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert set(errors) == {"reason", "account_id", "text", "files"}
    assert errors["text"] == ["Обязательное поле."]
    assert "можно прикладывать только PDF, JPEG или PNG" in errors["files"][0]
    assert not Appeal.objects.exists() and not Upload.objects.exists() and stored_files(tmp_path) == []


def test_the_limits_are_the_pages(client, customer, account, reason, headers, settings, tmp_path):
    settings.KABINET_APPEAL_MAX_FILES, settings.KABINET_APPEAL_MAX_FILE_MB, settings.KABINET_APPEAL_TEXT_MAX = 2, 1, 10
    three = form(account, reason, text="Коротко", files=[pdf(), pdf(), pdf()])
    assert (
        "Можно приложить не больше 2 файлов"
        in client.post("/api/v1/appeals", three, headers=headers).json()["errors"]["files"][0]
    )
    big = form(account, reason, text="Коротко", files=[pdf(content=PDF + b"0" * 1024 * 1024)])
    assert "больше 1 МБ" in client.post("/api/v1/appeals", big, headers=headers).json()["errors"]["files"][0]
    long = form(account, reason, text="Очень длинный текст")
    assert client.post("/api/v1/appeals", long, headers=headers).json()["errors"] == {"text": ["Не длиннее 10 симв."]}
    assert not Appeal.objects.exists() and not Upload.objects.exists() and stored_files(tmp_path) == []


def test_an_email_answer_needs_an_email(client, account, reason, sverdlovsk):
    customer = make_customer("+79120000003", account)
    data = form(account, reason, contact_method="email")
    response = client.post("/api/v1/appeals", data, headers=bearer(access_token(customer)))
    assert response.status_code == 422 and set(response.json()["errors"]) == {"contact_method"}


def test_personal_tokens_never_write_appeals(client, customer, account, reason):
    appeal = make_appeal(customer, account, reason)
    headers = bearer(api_token(customer, write=True))  # even one allowed to submit readings
    assert client.post("/api/v1/appeals", form(account, reason), headers=headers).status_code == 403
    reply = client.post(f"/api/v1/appeals/{appeal.number}/messages", {"text": "Ещё"}, headers=headers)
    assert reply.status_code == 403
    assert Appeal.objects.count() == 1 and not appeal.messages.exists()


def test_a_reply_with_a_file_reopens_an_answered_appeal(client, customer, account, reason, headers):
    appeal = make_appeal(customer, account, reason)
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.ANSWERED, answered_at=timezone.now())
    data = {"text": "Перерасчёт неверный.", "files": [pdf("акт.pdf")]}
    response = client.post(f"/api/v1/appeals/{appeal.number}/messages", data, headers=headers)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "customer" and response.json()["files"][0]["name"] == "акт.pdf"
    appeal.refresh_from_db()
    assert appeal.status == Status.NEW
    assert Message.objects.get(appeal=appeal).attachments.count() == 1


def test_a_reply_too_late_is_refused_before_its_files_are_stored(client, customer, account, reason, headers, settings):
    appeal = make_appeal(customer, account, reason)
    long_ago = timezone.now() - timedelta(days=settings.KABINET_APPEAL_REOPEN_DAYS + 1)
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.CLOSED, answered_at=long_ago, closed_at=long_ago)
    files_before = Attachment.objects.count()
    data = {"text": "Ещё вопрос.", "files": [pdf()]}
    response = client.post(f"/api/v1/appeals/{appeal.number}/messages", data, headers=headers)
    assert response.status_code == 409
    assert "Создайте новое обращение" in response.json()["detail"]
    assert not Upload.objects.exists() and Attachment.objects.count() == files_before


def test_a_reply_needs_text(client, customer, account, reason, headers):
    appeal = make_appeal(customer, account, reason)
    response = client.post(f"/api/v1/appeals/{appeal.number}/messages", {"text": ""}, headers=headers)
    assert response.status_code == 422 and response.json()["errors"] == {"text": ["Обязательное поле."]}


def test_a_body_over_the_upload_bounds_is_a_clients_error(client, customer, account, reason, headers, tmp_path):
    data = form(account, reason, files=[pdf() for _ in range(11)])  # over DATA_UPLOAD_MAX_NUMBER_FILES (10)
    response = client.post("/api/v1/appeals", data, headers=headers)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "не больше 5 файлов" in response.json()["detail"]
    assert not Appeal.objects.exists() and not Upload.objects.exists() and stored_files(tmp_path) == []


def test_a_nul_in_the_text_is_refused(client, customer, account, reason, headers):
    response = client.post("/api/v1/appeals", form(account, reason, text="Текст\x00"), headers=headers)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"text"}
    appeal = make_appeal(customer, account, reason)
    reply = client.post(f"/api/v1/appeals/{appeal.number}/messages", {"text": "a\x00"}, headers=headers)
    assert reply.status_code == 422 and not appeal.messages.exists()


# What Schemathesis once sent (a field the schema says is a binary file, filled with text): the
# view read only the uploaded files, saw none, and stored the message without them (201).
TEXT_FOR_FILES = {
    "json": lambda: '{"a": 1}',
    "empty": lambda: "",
    "two-words": lambda: ["one", "two"],
    "file-and-text": lambda: [pdf(), "текст"],
}


@pytest.mark.parametrize("files", TEXT_FOR_FILES.values(), ids=TEXT_FOR_FILES.keys())
def test_text_in_place_of_a_file_is_refused(client, customer, account, reason, headers, tmp_path, files):
    appeal = make_appeal(customer, account, reason)
    files_before = stored_files(tmp_path)
    created = client.post("/api/v1/appeals", form(account, reason, files=files()), headers=headers)
    reply = {"text": "Ещё", "files": files()}
    replied = client.post(f"/api/v1/appeals/{appeal.number}/messages", reply, headers=headers)
    for response in (created, replied):
        assert response.status_code == 422, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"] == {"files": ["Ожидается файл, а не текст."]}
    assert Appeal.objects.count() == 1 and not appeal.messages.exists()
    assert not Upload.objects.exists() and stored_files(tmp_path) == files_before


def test_text_in_place_of_a_file_is_refused_in_a_urlencoded_body(client, customer, account, reason, headers):
    appeal = make_appeal(customer, account, reason)
    body = "text=%D0%95%D1%89%D1%91&files=%7B%22a%22%3A+1%7D"
    response = client.post(
        f"/api/v1/appeals/{appeal.number}/messages",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert response.status_code == 422 and response.json()["errors"] == {"files": ["Ожидается файл, а не текст."]}
    assert not appeal.messages.exists()
