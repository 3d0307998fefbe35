"""File inputs: a Russian drop zone around the real input with the script, the browser's own
input without it; either way the files reach the appeal."""

import re

from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import Appeal
from tests.e2e.helpers import PHONE, goto, log_in, open_page
from tests.factories import PDF

TEXT = "Прошу сделать перерасчёт за март."


def fill_appeal(page) -> None:
    page.get_by_label("Тема обращения").select_option(label="Лицевой счёт")
    page.get_by_label("Причина обращения").select_option(label="Перерасчёт")
    page.get_by_label("Текст обращения").fill(TEXT)


def drop(page, zone, name: str) -> None:
    """Drop a PDF on the zone, as a file dragged from the desktop arrives."""
    transfer = page.evaluate_handle(
        """([name, body]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([body], name, {type: "application/pdf"}));
            return transfer;
        }""",
        [name, PDF.decode()],
    )
    zone.dispatch_event("drop", {"dataTransfer": transfer})


def test_files_are_chosen_and_dropped_in_russian(page, customer, reason):
    log_in(page, "+79120000001")
    goto(page, "/appeals/new/")
    files = page.get_by_label("Подтверждающие документы")
    zone = page.locator(".file-drop").filter(has=files)
    expect(zone.get_by_role("button", name="Выбрать файлы")).to_be_visible()
    expect(zone).to_contain_text("или перетащите их сюда")
    expect(zone.get_by_text("или перетащите их сюда")).to_be_hidden()  # a touch screen has nothing to drag
    expect(zone).to_contain_text("Файлы не выбраны")

    fill_appeal(page)
    files.set_input_files({"name": "справка.pdf", "mimeType": "application/pdf", "buffer": PDF})
    expect(zone.get_by_role("listitem")).to_have_text(["справка.pdf (1 КБ)"])
    drop(page, zone, "акт.pdf")  # joins the chosen file rather than replacing it
    expect(zone.get_by_role("listitem")).to_have_text(["справка.pdf (1 КБ)", "акт.pdf (1 КБ)"])

    page.get_by_role("radio", name="Телефон").check()
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("heading", name="Обращение зарегистрировано")).to_be_visible()
    assert sorted(a.name for a in Appeal.objects.get().attachments.all()) == ["акт.pdf", "справка.pdf"]


def pdfs(count: int) -> list[dict]:
    return [{"name": f"{i}.pdf", "mimeType": "application/pdf", "buffer": PDF} for i in range(1, count + 1)]


def test_too_many_or_too_big_files_are_warned_of_before_sending(page, customer, reason, settings):
    settings.KABINET_APPEAL_MAX_FILE_MB = 1  # so that a file over the limit is small to make
    log_in(page, "+79120000001")
    goto(page, "/appeals/new/")
    files = page.get_by_label("Подтверждающие документы")
    zone = page.locator(".file-drop").filter(has=files)
    warning = zone.get_by_role("alert")

    files.set_input_files(pdfs(7))
    expect(warning).to_have_text("Выбрано 7 файлов — можно не больше 5.")
    big = PDF + b"0" * (1024 * 1024)
    files.set_input_files([*pdfs(2), {"name": "скан.pdf", "mimeType": "application/pdf", "buffer": big}])
    expect(warning).to_have_text("Файл «скан.pdf» больше 1 МБ.")
    files.set_input_files(pdfs(5))
    expect(zone.get_by_role("listitem")).to_have_count(5)
    expect(warning).to_be_hidden()
    expect(zone.locator("[role=alert]")).to_have_text("")  # still there, empty, for the next warning

    # The server's check stays the rule: what was warned of is still sent and refused there.
    files.set_input_files(pdfs(6))
    expect(warning).to_have_text("Выбрано 6 файлов — можно не больше 5.")
    fill_appeal(page)
    page.get_by_role("radio", name="Телефон").check()
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator("#id_files_error")).to_contain_text("Можно приложить не больше 5 файлов, а выбрано 6.")


def test_the_warning_counts_the_files_already_attached(page, customer, reason):
    log_in(page, "+79120000001")
    goto(page, "/appeals/new/")
    page.get_by_label("Подтверждающие документы").set_input_files(pdfs(3))
    page.get_by_role("button", name="Отправить").click()  # refused (no topic): the three are kept
    expect(page.get_by_role("checkbox", name=re.compile(r"^1\.pdf"))).to_be_checked()
    files = page.get_by_label("Подтверждающие документы")
    warning = page.locator(".file-drop").filter(has=files).get_by_role("alert")
    files.set_input_files(pdfs(3))
    expect(warning).to_have_text("Вместе с уже приложенными 6 файлов — можно не больше 5.")
    page.get_by_role("checkbox", name=re.compile(r"^1\.pdf")).uncheck()
    expect(warning).to_be_hidden()
    expect(page.locator(".file-drop [role=alert]")).to_have_text("")


@pytest.fixture
def page_without_script(browser, live_server, public_url):
    context, page = open_page(browser, live_server, PHONE, java_script_enabled=False)
    yield page
    context.close()


def test_without_the_script_the_real_input_still_sends_files(page_without_script, customer, reason):
    page = page_without_script
    page.goto("/login/")
    page.get_by_label("Номер лицевого счета, телефон или e-mail").fill("+79120000001")
    page.get_by_label("Пароль").fill("Ural-energy-2026")
    page.get_by_role("button", name="Войти").click()
    page.goto("/appeals/new/")
    expect(page.locator(".file-drop")).to_have_count(0)
    fill_appeal(page)
    page.get_by_label("Подтверждающие документы").set_input_files(
        {"name": "справка.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("radio", name="Телефон").check()
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("heading", name="Обращение зарегистрировано")).to_be_visible()
    assert [a.name for a in Appeal.objects.get().attachments.all()] == ["справка.pdf"]
