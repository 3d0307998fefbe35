"""«Начать знакомство» (G13), driven by the keyboard only: Tab to reach and move inside the dialog,
Enter to press, ArrowRight/ArrowLeft to step, Escape to close."""

import re

from playwright.sync_api import expect

from kabinet.identity.models import AccountLink
from tests.e2e.helpers import log_in
from tests.factories import make_account, make_billed

OFFER = "Вы в обновлённом личном кабинете"


def tab_to(page, target, limit: int = 25) -> None:
    """Press Tab until the focus is on (or inside) the target, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el.contains(document.activeElement) || document.activeElement.contains(el)"):
            return
    raise AssertionError(f"Tab never reached {target}")


def expect_step(dialog, number: int, total: int, title: str | None = None) -> None:
    if title:
        expect(dialog).to_have_accessible_name(title)
    expect(dialog.get_by_text(f"Шаг {number} из {total}")).to_be_visible()


def step_count(dialog) -> int:
    """How many steps the home page has: the tour counts its visible data-tour elements."""
    expect(dialog.get_by_text(re.compile(r"^Шаг 1 из \d+$"))).to_be_visible()
    return int(re.search(r"из (\d+)", dialog.get_by_text(re.compile(r"^Шаг \d+ из \d+$")).inner_text()).group(1))


def test_tour_by_keyboard(page, customer):
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name=OFFER)).to_be_visible()

    start = page.get_by_role("link", name="Начать знакомство")
    tab_to(page, start)
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    total = step_count(dialog)
    # header, offer, accounts, readings, bill, charges, add account, profile menu, appeals, help
    assert total == 10
    expect_step(dialog, 1, total, "Шапка кабинета")
    back, forward = dialog.get_by_role("button", name="Назад"), dialog.get_by_role("button", name="Далее")
    finish = dialog.get_by_role("button", name="Завершить знакомство")
    expect(back).to_be_disabled()
    expect(forward).to_be_focused()

    # Tab stays inside the dialog, both ways.
    page.keyboard.press("Tab")
    expect(finish).to_be_focused()
    page.keyboard.press("Tab")
    expect(forward).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(finish).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(forward).to_be_focused()

    page.keyboard.press("Enter")
    expect_step(dialog, 2, total, "Знакомство")
    page.keyboard.press("ArrowRight")
    expect_step(dialog, 3, total, "Лицевые счета")
    page.keyboard.press("ArrowLeft")
    expect_step(dialog, 2, total, "Знакомство")
    page.keyboard.press("Shift+Tab")
    expect(back).to_be_focused()
    page.keyboard.press("Enter")
    expect_step(dialog, 1, total, "Шапка кабинета")
    expect(forward).to_be_focused()
    page.keyboard.press("ArrowLeft")  # nothing before the first step
    expect_step(dialog, 1, total, "Шапка кабинета")

    steps = [
        (2, "Знакомство"),
        (3, "Лицевые счета"),
        (4, "Передать показания"),
        (5, "Квитанция"),
        (6, "Начисления и платежи"),
        (7, "Добавить лицевой счёт"),
        (8, "Профиль"),
        (9, "Обращения"),
    ]
    for number, title in steps:
        page.keyboard.press("ArrowRight")
        expect_step(dialog, number, total, title)
    page.keyboard.press("ArrowRight")
    expect_step(dialog, total, total, "Помощь")
    page.keyboard.press("ArrowRight")  # nothing after the last step
    expect_step(dialog, total, total, "Помощь")
    expect(dialog.get_by_role("button", name="Готово")).to_be_focused()

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("heading", name=OFFER)).to_have_count(0)
    customer.refresh_from_db()
    assert customer.tour_completed_at is not None

    # Done for good: no offer after a reload either.
    page.reload()
    expect(page.get_by_role("heading", name="Мои лицевые счета")).to_be_visible()
    expect(page.get_by_role("heading", name=OFFER)).to_have_count(0)


def test_tour_restarts_from_the_user_menu_and_ends_with_done(page, customer):
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name=OFFER)).to_be_visible()

    tab_to(page, page.get_by_text("Анна Иванова"))
    page.keyboard.press("Enter")  # opens the menu
    menu_start = page.get_by_role("navigation", name="Учётная запись").get_by_role("link", name="Начать знакомство")
    tab_to(page, menu_start)
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    total = step_count(dialog)
    expect_step(dialog, 1, total, "Шапка кабинета")
    expect(menu_start).to_be_hidden()  # the menu closed behind the dialog
    for number in range(2, total + 1):
        page.keyboard.press("Enter")
        expect_step(dialog, number, total)
    expect(dialog).to_have_accessible_name("Помощь")
    expect(dialog.get_by_role("button", name="Готово")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("heading", name=OFFER)).to_have_count(0)
    customer.refresh_from_db()
    assert customer.tour_completed_at is not None


def test_the_name_menu_closes_on_escape(page, customer):
    log_in(page, "+79120000001")
    menu = page.get_by_role("navigation", name="Учётная запись")
    tab_to(page, page.get_by_text("Анна Иванова"))
    page.keyboard.press("Enter")
    profile = menu.get_by_role("link", name="Профиль")
    expect(profile).to_be_visible()

    page.keyboard.press("Escape")
    expect(profile).to_be_hidden()
    # Focus goes back to the menu's button, so the keyboard user is where they were.
    expect(page.locator("summary:focus")).to_contain_text("Анна Иванова")

    page.keyboard.press("Enter")
    expect(profile).to_be_visible()
    page.get_by_role("heading", name="Мои лицевые счета").click()  # a click elsewhere closes it too
    expect(profile).to_be_hidden()


# The highlight's ring (outline 4px, offset 4px) belongs to what the dialog must not cover.
RING = 8
STEP_SIDES = """el => {
  const s = getComputedStyle(el);
  return {color: s.color, background: s.backgroundColor};
}"""


def test_every_step_shows_its_element_beside_the_dialog_in_its_own_colours(page, customer, account, sverdlovsk):
    # Two accounts, one with history: the page is as long as a real customer's.
    make_billed(account)
    AccountLink.objects.create(user=customer, account=make_account(sverdlovsk, "660100000055", house="5"))
    log_in(page, "+79120000001")
    page.get_by_role("link", name="Начать знакомство").first.click()
    dialog = page.get_by_role("dialog")
    total = step_count(dialog)
    view = page.viewport_size["height"]

    for number in range(1, total + 1):
        expect_step(dialog, number, total)
        title = dialog.get_by_role("heading").inner_text()
        step = page.locator(".tour-highlight")
        expect(step).to_have_count(1)
        box, popup = step.bounding_box(), dialog.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= view, f"«{title}» is off the screen"
        apart = box["y"] + box["height"] + RING <= popup["y"] or popup["y"] + popup["height"] <= box["y"] - RING
        assert apart, f"the dialog covers «{title}»: {box} and {popup}"
        sides = step.evaluate(STEP_SIDES)
        assert sides["background"] not in {"rgba(0, 0, 0, 0)", "transparent"}, f"«{title}» shows the backdrop"
        assert sides["color"] != sides["background"], f"«{title}»: text in its background's colour, {sides}"
        dialog.get_by_role("button", name="Готово" if number == total else "Далее").click()
    expect(dialog).to_have_count(0)


# Records the promise of the page's latest fetch: a `then` added to it later runs after the page's
# own, so the test knows the page has handled the answer without waiting for any time.
LAST_FETCH = """
const send = window.fetch;
window.fetch = function () { window.lastFetch = send.apply(this, arguments); return window.lastFetch; };
"""


def test_the_offer_stays_when_finishing_the_tour_was_not_saved(page, customer):
    """A session that expired meanwhile answers the done-request with the login page (200 after
    the redirect): the offer must stay, as it will after a reload, since nothing was saved."""
    page.add_init_script(LAST_FETCH)
    login_page = {"status": 200, "content_type": "text/html", "body": "<!doctype html><title>Вход</title>"}
    page.route("**/tour/done/", lambda route: route.fulfill(**login_page))
    log_in(page, "+79120000001")
    page.get_by_role("link", name="Начать знакомство").first.click()
    dialog = page.get_by_role("dialog")
    expect_step(dialog, 1, step_count(dialog))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert page.evaluate("() => window.lastFetch.then(response => response.status)") == 200
    expect(page.get_by_role("heading", name=OFFER)).to_be_visible()
    customer.refresh_from_db()
    assert customer.tour_completed_at is None
