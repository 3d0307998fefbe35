"""A personal access token made in «Профиль» opens the API to a real HTTP client, and stops
opening it once revoked."""

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from playwright.sync_api import expect

from tests.e2e.helpers import assert_fits_the_screen, log_in, wait_ready

WHOLE = "el => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight"
# The stacked table's column names (the cells' ::before) each as wide as their longest word.
LABELS_CUT_IN_A_WORD = """() => {
  const ruler = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll("td[data-label]")].filter((cell) => {
    const label = getComputedStyle(cell, "::before");
    ruler.font = label.font;
    const longest = Math.max(...cell.dataset.label.split(" ").map((word) => ruler.measureText(word).width));
    let room = parseFloat(label.width);
    if (label.boxSizing === "border-box") room -= parseFloat(label.paddingLeft) + parseFloat(label.paddingRight);
    return !(room >= longest);
  }).map((cell) => cell.dataset.label);
}"""


def api_get(live_server, path: str, token: str) -> tuple[int, dict]:
    request = Request(f"{live_server.url}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def test_make_use_and_revoke_a_token(page, live_server, customer, account):
    log_in(page, "+79120000001")
    page.get_by_role("navigation", name="Учётная запись").get_by_text("Анна Иванова").click()
    page.get_by_role("navigation", name="Учётная запись").get_by_role("link", name="Профиль").click()
    page.get_by_role("link", name="Токены доступа").click()
    expect(page.get_by_role("heading", name="Токены доступа", level=1)).to_be_visible()
    wait_ready(page)
    expect(page.get_by_text("Токенов пока нет.")).to_be_visible()

    # Sent without a name: the error is at the field, the rest is kept.
    page.get_by_role("radio", name="Чтение и показания").check()
    page.get_by_role("button", name="Создать токен").click()
    expect(page.get_by_role("textbox", name="Название")).to_have_accessible_description(
        "Чтобы узнать токен в списке, например «Home Assistant». Введите название токена."
    )
    expect(page.get_by_role("radio", name="Чтение и показания")).to_be_checked()

    page.get_by_role("textbox", name="Название").fill("Home Assistant")
    expect(page.get_by_role("checkbox", name=account.number)).to_be_checked()  # the only account, offered
    page.get_by_label("Срок действия").select_option(label="1 год")
    page.get_by_role("button", name="Создать токен").click()
    expect(page.get_by_role("heading", name="Токен «Home Assistant» создан")).to_be_visible()
    expect(page.get_by_text("Скопируйте его сейчас: больше он показан не будет.")).to_be_visible()
    secret = page.get_by_role("textbox", name="Ваш токен").input_value()
    assert_fits_the_screen(page)
    assert page.get_by_role("textbox", name="Ваш токен").evaluate(WHOLE), "the token is cut off in its box"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Скопировать").click()
    expect(page.get_by_text("Токен скопирован.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret

    status, body = api_get(live_server, "/api/v1/profile", secret)
    assert status == 200
    assert body["token"] == {"kind": "personal", "can_submit_readings": True, "accounts": [account.number]}

    page.reload()
    wait_ready(page)
    expect(page.get_by_role("textbox", name="Ваш токен")).to_have_count(0)  # shown once
    row = page.get_by_role("row", name="Home Assistant")
    expect(row).to_contain_text("чтение и показания")
    assert page.evaluate(LABELS_CUT_IN_A_WORD) == []
    expect(row).not_to_contain_text("не использовался")  # used just now

    row.get_by_role("button", name="Отозвать токен «Home Assistant»").click()
    expect(page.get_by_role("status")).to_have_text("Токен отозван: с ним больше нельзя получить данные.")
    expect(page.get_by_text("Токенов пока нет.")).to_be_visible()

    status, body = api_get(live_server, "/api/v1/profile", secret)
    assert status == 401 and body["status"] == 401
