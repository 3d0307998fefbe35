"""The customer's «Обращения» (G14–G16): create with files, errors that lose nothing, the
list, an appeal's page, writing more, downloads."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals.models import Appeal, Attachment, Reason, Status, Topic, Upload
from tests.factories import PDF, PNG, customer_login, make_account, make_appeal, redirected_to, stored_files

NEW = reverse("portal:appeal_new")


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def form_data(account, reason, **overrides):
    data = {
        "account": account.pk,
        "topic": reason.topic_id,
        "reason": reason.pk,
        "text": "С 1 ноября проживают 3 человека. Прошу сделать перерасчёт.",
        "contact_method": "phone",
    }
    data.update(overrides)
    return data


def pdf(name="справка.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_page_has_the_guides_fields_and_note(signed_in, reason):
    page = signed_in.get(NEW).content.decode()
    for text in ["Лицевой счёт", "Тема обращения", "Причина обращения", "Текст обращения", "Подтверждающие документы",
                 "Предпочтительный способ связи", "Телефон", "E-mail", "Отправить",
                 "приравнивается к личному визиту в офис", "оригиналы документов не требуется",
                 "Какие документы приложить: Справка о временном отсутствии."]:  # fmt: skip
        assert text in page, text
    assert 'maxlength="4000"' in page and 'data-counter="4000"' in page


def test_submit_with_files_gives_number_deadline_and_sms(signed_in, customer, account, reason, outbox):
    files = [pdf(), SimpleUploadedFile("фото счётчика.png", PNG, content_type="image/png")]
    response = signed_in.post(NEW, {**form_data(account, reason), "files": files})
    appeal = Appeal.objects.get()
    assert response["Location"] == reverse("portal:appeal_created", args=[appeal.number])
    assert appeal.number == f"66-{timezone.localdate().year}-000001"
    assert (appeal.customer, appeal.account, appeal.reason, appeal.status) == (customer, account, reason, Status.NEW)
    assert sorted(appeal.attachments.values_list("name", flat=True)) == ["справка.pdf", "фото счётчика.png"]
    page = signed_in.get(response["Location"]).content.decode()
    assert appeal.number in page and "Срок ответа" in page
    [sms] = outbox.messages()
    assert sms["to"] == customer.phone and appeal.number in sms["text"] and "зарегистрировано" in sms["text"]


def test_rejected_file_keeps_everything_else(signed_in, account, reason):
    data = {**form_data(account, reason), "files": [pdf(), pdf("скан.pdf", b"just text, not a PDF")]}
    response = signed_in.post(NEW, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Файл «скан.pdf» не подходит: можно прикладывать только PDF, JPEG или PNG." in page
    assert "С 1 ноября проживают 3 человека" in page
    assert f'<option value="{reason.pk}" selected>' in page
    kept = Upload.objects.get()
    assert kept.name == "справка.pdf"
    assert f'name="keep" value="{kept.pk}" id="keep-{kept.pk}" checked' in page
    assert not Appeal.objects.exists()

    response = signed_in.post(NEW, {**form_data(account, reason), "keep": [kept.pk]})
    appeal = Appeal.objects.get()
    assert redirected_to(response) == reverse("portal:appeal_created", args=[appeal.number])
    assert list(appeal.attachments.values_list("name", flat=True)) == ["справка.pdf"]
    assert not Upload.objects.exists()


def test_missing_fields_are_said_at_each_field_and_files_kept(signed_in, account, reason):
    response = signed_in.post(NEW, {"account": account.pk, "files": [pdf()]})
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Обязательное поле.") >= 4  # topic, reason, text, contact method
    assert "Уже приложены" in page and "справка.pdf" in page


def test_reason_must_belong_to_the_topic(signed_in, account, reason):
    other = Reason.objects.create(topic=Topic.objects.get(name="Оплата"), name="Платёж не учтён")
    page = signed_in.post(NEW, {**form_data(account, reason), "reason": other.pk}).content.decode()
    assert "Выберите причину из списка для выбранной темы." in page


def files_error(page: str) -> str:
    """The errors shown at the files field (tied to it by id)."""
    start = page.index('id="id_files_error"')
    return page[start : page.index("</div>", start)]


def test_more_files_than_the_limit_store_nothing_and_keep_the_text(signed_in, account, reason, settings):
    response = signed_in.post(NEW, {**form_data(account, reason), "files": [pdf(f"{i}.pdf") for i in range(6)]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Можно приложить не больше 5 файлов, а выбрано 6." in files_error(page)
    assert "С 1 ноября проживают 3 человека" in page
    assert stored_files() == [] and not Upload.objects.exists() and not Appeal.objects.exists()


def test_too_many_bytes_store_nothing(signed_in, account, reason, settings):
    settings.KABINET_APPEAL_MAX_FILE_MB = 1  # 5 MB for all the files of the form
    huge = pdf("скан.pdf", PDF + b"0" * (5 * 1024 * 1024))
    response = signed_in.post(NEW, {**form_data(account, reason), "files": [pdf(), huge]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Файлы вместе больше 5 МБ. Новые файлы не сохранены" in files_error(page)
    assert "С 1 ноября проживают 3 человека" in page
    assert stored_files() == [] and not Upload.objects.exists()


def test_over_the_limit_with_files_already_attached_keeps_them(signed_in, account, reason, settings):
    first = signed_in.post(NEW, {"account": account.pk, "files": [pdf(f"{i}.pdf") for i in range(4)]})
    kept = list(Upload.objects.values_list("pk", flat=True))
    assert first.status_code == 400 and len(kept) == 4
    data = {**form_data(account, reason), "keep": kept, "files": [pdf("5.pdf"), pdf("6.pdf")]}
    page = signed_in.post(NEW, data).content.decode()
    assert "а с уже приложенными их 6. Новые файлы не сохранены: выберите не больше 1." in files_error(page)
    assert "Уже приложены" in page and all(f'name="keep" value="{pk}"' in page for pk in kept)
    assert len(stored_files()) == 4 and Upload.objects.count() == 4


def test_an_unticked_upload_is_deleted_on_the_next_submit(signed_in, account, settings):
    first = signed_in.post(NEW, {"account": account.pk, "files": [pdf("1.pdf"), pdf("2.pdf")]}).content.decode()
    offered = [int(pk) for pk in Upload.objects.order_by("pk").values_list("pk", flat=True)]
    assert all(f'name="offered" value="{pk}"' in first for pk in offered)  # the form says what it showed
    signed_in.post(NEW, {"account": account.pk, "keep": offered[:1], "offered": offered})
    assert [u.name for u in Upload.objects.all()] == ["1.pdf"] and len(stored_files()) == 1


def test_refused_forms_resent_stop_at_the_pending_cap(signed_in, account, settings):
    for attempt in range(2):  # each refused (no text) but its files kept for a next try
        signed_in.post(NEW, {"account": account.pk, "files": [pdf(f"{attempt}{i}.pdf") for i in range(5)]})
    response = signed_in.post(NEW, {"account": account.pk, "files": [pdf("ещё.pdf")]})
    assert "Новые файлы не сохранены: у вас уже загружены файлы для неотправленных форм" in files_error(
        response.content.decode()
    )
    assert len(stored_files()) == 10 and Upload.objects.count() == 10


def test_a_message_with_too_many_files_stores_nothing(signed_in, customer, account, reason, settings):
    appeal = make_appeal(customer, account, reason, files=0)
    url = reverse("portal:appeal_message", args=[appeal.number])
    response = signed_in.post(url, {"text": "Ещё документы", "files": [pdf(f"{i}.pdf") for i in range(6)]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Можно приложить не больше 5 файлов, а выбрано 6." in files_error(page) and "Ещё документы" in page
    assert stored_files() == [] and not appeal.messages.exists()


def test_text_longer_than_the_limit(signed_in, account, reason, settings):
    settings.KABINET_APPEAL_TEXT_MAX = 50
    page = signed_in.post(NEW, form_data(account, reason, text="ы" * 51)).content.decode()
    assert "не более 50 символов" in page and not Appeal.objects.exists()


def test_email_contact_without_email_asks_for_one(client, sverdlovsk, reason, mailbox):
    from tests.factories import make_customer

    account = make_account(sverdlovsk, "660100000009")
    customer_login(client, make_customer("+79120000009", account))
    page = client.post(NEW, form_data(account, reason, contact_method="email")).content.decode()
    assert "У вас в профиле нет e-mail" in page and not Appeal.objects.exists()

    response = client.post(NEW, form_data(account, reason, contact_method="email", email="petr@example.ru"))
    appeal = Appeal.objects.get()
    assert redirected_to(response) == reverse("portal:appeal_created", args=[appeal.number])
    assert appeal.contact_method == "email"
    assert mailbox()[0].to == ["petr@example.ru"] and "подтвердить" in mailbox()[0].body


def test_only_active_own_accounts_are_offered(signed_in, customer, sverdlovsk, reason):
    closed = make_account(sverdlovsk, "660100000002", status="closed")
    from kabinet.identity.models import AccountLink

    AccountLink.objects.create(user=customer, account=closed)
    make_account(sverdlovsk, "660100000003")  # someone else's, or nobody's
    page = signed_in.get(NEW).content.decode()
    assert "660100000001" in page and "660100000002" not in page and "660100000003" not in page
    response = signed_in.post(NEW, form_data(closed, reason))
    assert response.status_code == 400 and not Appeal.objects.exists()


def test_list_newest_first_filter_and_pages(signed_in, customer, account, reason, settings):
    settings.KABINET_APPEALS_PER_PAGE = 2
    appeals = [make_appeal(customer, account, reason, files=0) for _ in range(3)]
    Appeal.objects.filter(pk=appeals[0].pk).update(status=Status.ANSWERED)
    page = signed_in.get(reverse("portal:appeals")).content.decode()
    assert page.index(appeals[2].number) < page.index(appeals[1].number)
    assert appeals[0].number not in page and "Страница 1 из 2" in page
    assert appeals[0].number in signed_in.get(reverse("portal:appeals") + "?page=2").content.decode()
    answered = signed_in.get(reverse("portal:appeals") + "?status=answered").content.decode()
    assert appeals[0].number in answered and appeals[1].number not in answered


def test_detail_shows_text_files_history_and_answer_but_never_notes(signed_in, customer, account, reason):
    from kabinet.appeals import operators
    from kabinet.appeals.models import StaffRole
    from kabinet.identity.models import User

    appeal = make_appeal(customer, account, reason)
    staff = User.objects.create_user(None, "x", email="op@example.ru", first_name="Ирина")
    role = StaffRole.objects.create(user=staff, role="operator")
    role.regions.add(account.region)
    operators.take(role, appeal.pk)
    operators.add_note(role, appeal.pk, "Клиент звонил, ругался", [])
    operators.reply(role, appeal.pk, operators.Reply("Перерасчёт выполнен.", Status.ANSWERED, []))
    page = signed_in.get(reverse("portal:appeal", args=[appeal.number])).content.decode()
    for text in ["Прошу сделать перерасчёт.", "справка.pdf", "Ответ компании", "Перерасчёт выполнен.", "Дан ответ",
                 "Обращение зарегистрировано"]:  # fmt: skip
        assert text in page, text
    assert "ругался" not in page and "Внутренняя заметка" not in page


def test_customer_message_reopens_an_answered_appeal(signed_in, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.ANSWERED, answered_at=timezone.now())
    url = reverse("portal:appeal_message", args=[appeal.number])
    response = signed_in.post(url, {"text": "Не согласна с ответом", "files": [pdf()]})
    assert redirected_to(response) == reverse("portal:appeal", args=[appeal.number])
    appeal.refresh_from_db()
    assert appeal.status == Status.NEW  # nobody had taken it
    assert appeal.messages.get().attachments.get().name == "справка.pdf"


def test_writing_after_the_reopen_period_is_refused_and_kept(signed_in, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    long_ago = timezone.now() - timedelta(days=31)
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.CLOSED, answered_at=long_ago, closed_at=long_ago)
    response = signed_in.post(reverse("portal:appeal_message", args=[appeal.number]), {"text": "Ещё вопрос"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Обращение закрыто более 30 дней назад. Создайте новое обращение." in page
    assert "Ещё вопрос" in page  # what the customer typed is still there to copy
    assert not appeal.messages.exists()
    detail = signed_in.get(reverse("portal:appeal", args=[appeal.number])).content.decode()
    assert "Дополнить обращение" not in detail and "Не согласны с ответом" not in detail


def test_download_is_an_attachment_with_a_safe_name_and_the_sniffed_type(signed_in, customer, account, reason):
    from kabinet.appeals.services import AppealDraft, submit_appeal
    from tests.factories import upload_file

    upload = upload_file(customer, name="../../etc/Скан паспорта.PDF")
    appeal = submit_appeal(customer, AppealDraft(account, reason, "текст", "phone", [upload]))
    attachment = Attachment.objects.get(appeal=appeal)
    assert "Скан" not in attachment.file.name and "etc" not in attachment.file.name
    response = signed_in.get(reverse("portal:appeal_file", args=[appeal.number, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%A1%D0%BA%D0%B0%D0%BD" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert appeal.events.filter(kind="file_read", actor=customer).exists()


def test_no_file_has_a_public_url(settings):
    """Nothing routes MEDIA_URL or the attachments folder: files are reached only through views."""
    from django.urls import Resolver404, resolve

    for path in ["/media/x", "/attachments/x", "/data/attachments/x"]:
        with pytest.raises(Resolver404):
            resolve(path)
    assert str(settings.KABINET_ATTACHMENTS_DIR) not in str(settings.STATIC_ROOT)
