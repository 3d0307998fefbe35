"""An appeal's page in the back office: take, reply with files, notes, states, reassign."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
import pytest

from kabinet.appeals.models import Appeal, Event, Message, StaffRole, Status, Upload
from tests.factories import PDF, make_appeal, make_customer, make_staff, redirected_to, staff_login


@pytest.fixture
def appeal(customer, account, reason):
    return make_appeal(customer, account, reason)


def url(name, appeal, **kwargs):
    return reverse(f"backoffice:{name}", kwargs={"pk": appeal.pk, **kwargs})


def test_page_shows_customer_text_files_and_history(staff_client, appeal):
    page = staff_client.get(url("appeal", appeal)).content.decode()
    for text in [appeal.number, "Анна Иванова", "<dd>+7\u00a0912\u00a0000-00-01</dd>", "anna@<wbr>example<wbr>.ru",
                 "Прошу сделать перерасчёт.", "справка.pdf", "Обращение зарегистрировано",
                 "Взять в работу"]:  # fmt: skip
        assert text in page, text
    assert "+79120000001" not in page, "the phone as people write it, not as stored"


def test_take_then_reply_with_a_file(staff_client, operator, appeal, outbox):
    staff_client.post(url("take", appeal))
    appeal.refresh_from_db()
    assert (appeal.assignee, appeal.status) == (operator.user, Status.IN_PROGRESS)
    reply = {
        "text": "Перерасчёт выполнен, акт во вложении.",
        "status": Status.ANSWERED,
        "files": [SimpleUploadedFile("акт.pdf", PDF)],
    }
    assert redirected_to(staff_client.post(url("reply", appeal), reply)) == url("appeal", appeal)
    appeal.refresh_from_db()
    assert appeal.status == Status.ANSWERED and appeal.answered_at
    message = appeal.messages.get(kind=Message.Kind.REPLY)
    assert message.attachments.get().name == "акт.pdf"
    assert any("дан ответ" in m["text"] and appeal.number in m["text"] for m in outbox.messages())


def test_second_operator_is_told_the_appeal_is_taken(client, staff_client, operator, appeal, sverdlovsk):
    staff_client.post(url("take", appeal))
    other = make_staff("op2@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Дмитрий")
    staff_login(client, other.user)
    page = client.post(url("take", appeal), follow=True).content.decode()
    assert "Обращение уже взял в работу другой сотрудник: Ирина Сотрудник." in page
    assert Appeal.objects.get(pk=appeal.pk).assignee == operator.user
    # Nor can they answer it.
    client.post(url("reply", appeal), {"text": "Я тоже отвечу", "status": Status.ANSWERED})
    assert not appeal.messages.exists()


def test_reply_errors_keep_text_and_files(staff_client, appeal):
    staff_client.post(url("take", appeal))
    data = {"text": "Ответ", "status": Status.ANSWERED, "files": [SimpleUploadedFile("a.pdf", PDF),
            SimpleUploadedFile("b.pdf", b"not a pdf")]}  # fmt: skip
    response = staff_client.post(url("reply", appeal), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Файл «b.pdf» не подходит" in page and "Ответ</textarea>" in page and "a.pdf" in page
    assert Appeal.objects.get(pk=appeal.pk).status == Status.IN_PROGRESS


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["attachments"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("action", ["reply", "note"])
def test_too_many_files_or_bytes_store_nothing_and_keep_the_text(staff_client, appeal, settings, action):
    staff_client.post(url("take", appeal))
    before = stored_files(settings)  # the customer's file of the appeal
    files_id = "id_files" if action == "reply" else "note_files"
    text = "Перерасчёт выполнен, акты во вложении."
    many = [SimpleUploadedFile(f"акт{i}.pdf", PDF) for i in range(6)]
    response = staff_client.post(url(action, appeal), {"text": text, "status": Status.ANSWERED, "files": many})
    assert response.status_code == 400
    page = response.content.decode()
    error = page[page.index(f'id="{files_id}_error"') :]
    assert error.index("Можно приложить не больше 5 файлов, а выбрано 6.") < error.index("</div>")
    assert f"{text}</textarea>" in page
    settings.KABINET_APPEAL_MAX_FILE_MB = 1
    huge = SimpleUploadedFile("скан.pdf", PDF + b"0" * (5 * 1024 * 1024))
    page = staff_client.post(url(action, appeal), {"text": text, "files": [huge]}).content.decode()
    assert "Файлы вместе больше 5 МБ. Новые файлы не сохранены" in page and f"{text}</textarea>" in page
    assert stored_files(settings) == before and not Upload.objects.exists() and not appeal.messages.exists()


def test_question_to_the_customer_waits_for_them(staff_client, appeal, outbox):
    staff_client.post(url("take", appeal))
    staff_client.post(url("reply", appeal), {"text": "Пришлите справку о составе семьи.", "status": Status.WAITING})
    appeal.refresh_from_db()
    assert appeal.status == Status.WAITING
    assert any("нужны ваши сведения" in m["text"] for m in outbox.messages())


def test_internal_note_is_recorded_and_never_sent(staff_client, appeal, outbox):
    before = len(outbox.messages())
    staff_client.post(
        url("note", appeal), {"text": "Проверить по реестру ЖЭКа", "files": [SimpleUploadedFile("n.pdf", PDF)]}
    )
    note = appeal.messages.get(kind=Message.Kind.NOTE)
    assert note.attachments.get().name == "n.pdf"
    assert len(outbox.messages()) == before
    assert appeal.events.filter(kind=Event.Kind.NOTE).exists()


def test_status_changes_follow_the_rules(staff_client, appeal):
    page = staff_client.post(url("status", appeal), {"status": Status.CLOSED}, follow=True).content.decode()
    assert "Сначала возьмите обращение в работу." in page
    staff_client.post(url("take", appeal))
    response = staff_client.post(url("status", appeal), {"status": Status.ANSWERED})
    assert response.status_code == 400
    assert "В это состояние обращение сейчас перевести нельзя: выберите другое." in response.content.decode()
    staff_client.post(url("status", appeal), {"status": Status.CLOSED, "without_answer": "on"})
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.closed_at


def status_select(page: str) -> str:
    return page[page.index('<select name="status"') : page.index("</select>", page.index('<select name="status"'))]


def test_no_state_is_preselected(staff_client, appeal):
    staff_client.post(url("take", appeal))
    select = status_select(staff_client.get(url("appeal", appeal)).content.decode())
    assert '<option value="" selected>Выберите состояние</option>' in select
    assert select.count("selected") == 1  # not «Закрыто», nor anything else
    response = staff_client.post(url("status", appeal), {"status": ""})
    assert response.status_code == 400 and "Выберите состояние." in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == Status.IN_PROGRESS


def test_closing_without_an_answer_asks_to_confirm(staff_client, appeal):
    staff_client.post(url("take", appeal))
    response = staff_client.post(url("status", appeal), {"status": Status.CLOSED})
    assert response.status_code == 400
    page = response.content.decode()
    message = "Клиент ещё не получил ответа: отметьте, чтобы всё равно закрыть обращение."
    assert message in page
    # The summary links a checkbox's message without its label: no «Закрыть без ответа: Клиент …: …».
    assert f'href="#state_without_answer">{message}</a>' in page
    assert page.count("Закрыть без ответа") == 1, "the checkbox's label alone"
    assert 'name="without_answer"' in page and '<option value="closed" selected>' in page
    assert Appeal.objects.get(pk=appeal.pk).status == Status.IN_PROGRESS

    response = staff_client.post(url("status", appeal), {"status": Status.CLOSED, "without_answer": "on"})
    assert redirected_to(response) == url("appeal", appeal)
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED
    assert appeal.events.last().details == {"without_answer": True}


def test_closing_an_answered_appeal_needs_no_confirmation(staff_client, appeal):
    staff_client.post(url("take", appeal))
    staff_client.post(url("reply", appeal), {"text": "Перерасчёт выполнен.", "status": Status.ANSWERED})
    page = staff_client.get(url("appeal", appeal)).content.decode()
    assert "Закрыть без ответа" not in page
    assert redirected_to(staff_client.post(url("status", appeal), {"status": Status.CLOSED})) == url("appeal", appeal)
    assert Appeal.objects.get(pk=appeal.pk).status == Status.CLOSED


def test_supervisor_reassigns_within_the_region(client, operator, appeal, sverdlovsk, perm):
    supervisor = make_staff("sup@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk)
    stranger = make_staff("perm@example.ru", StaffRole.Role.OPERATOR, perm)
    staff_login(client, supervisor.user)
    page = client.post(url("reassign", appeal), {"assignee": stranger.user_id}, follow=True).content.decode()
    assert "не работает с обращениями этого региона" in page
    client.post(url("reassign", appeal), {"assignee": operator.user_id})
    assert Appeal.objects.get(pk=appeal.pk).assignee == operator.user
    assert appeal.events.filter(kind=Event.Kind.ASSIGNED, actor=supervisor.user).exists()


def test_operator_cannot_reassign(staff_client, operator, appeal, sverdlovsk):
    other = make_staff("op2@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)
    page = staff_client.post(url("reassign", appeal), {"assignee": other.user_id}, follow=True).content.decode()
    assert "только руководитель группы" in page
    assert Appeal.objects.get(pk=appeal.pk).assignee is None


def test_file_download_is_recorded_with_who_and_when(staff_client, operator, appeal):
    attachment = appeal.attachments.get()
    response = staff_client.get(url("file", appeal, attachment_id=attachment.pk))
    assert response["Content-Disposition"].startswith("attachment;")
    event = appeal.events.get(kind=Event.Kind.FILE_READ)
    assert event.actor == operator.user and event.details["name"] == "справка.pdf" and event.at


def test_an_author_without_a_name_is_named_by_the_phone_as_people_write_it(staff_client, account, reason):
    nameless = make_customer("+79120000007", account, first_name="", last_name="")
    appeal = make_appeal(nameless, account, reason, files=0)
    appeal.messages.create(kind=Message.Kind.CUSTOMER, author=nameless, text="Дополняю обращение.")
    page = staff_client.get(url("appeal", appeal)).content.decode()
    assert "+7\u00a0912\u00a0000-00-07" in page and "+79120000007" not in page
