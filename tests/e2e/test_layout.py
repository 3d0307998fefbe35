"""Every page on a 360-px phone and a 1280-px desktop (issue 11, point 13): nothing overflows
sideways, nothing is cut, no word of visible text is broken over lines (nor an amount, a date, a
phone number or «г. Екатеринбург»), buttons are not squeezed into tall blocks. The pages come from
the URL patterns: a pattern that is neither visited here nor excluded with a reason fails
`test_every_page_is_visited_or_excluded`."""

from datetime import date, timedelta
from decimal import Decimal
import re
from urllib.parse import urlsplit
import uuid

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import Reason, StaffRole
from kabinet.appeals.operators import Reply, reply, take
from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, Payment, Service
from kabinet.billing.money import to_kopecks
from kabinet.identity.models import User
from kabinet.payments.models import AutoPayment, OnlinePayment, Refund
from kabinet.payments.services import start_payment
from tests.e2e.helpers import assert_fits_the_screen, fill_registration_form, goto, log_in, wait_ready
from tests.factories import (
    PASSWORD,
    add_reading,
    api_token,
    give_second_factor,
    make_account,
    make_appeal,
    make_complaint,
    make_customer,
    make_meter,
    make_online_payment,
    recovery_code,
    upload_file,
)

PHONE = "+79120000077"


def months_back(months: int) -> date:
    """The first of the month `months` before this one."""
    month = timezone.localdate().replace(day=1)
    for _ in range(months):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


FREE_ACCOUNT = "660100000099"  # in the registry, nobody registered: the registration flow uses it

EXCLUDED = {
    "portal:logout": "POST only",
    "portal:register_resend": "POST only",
    "portal:recover_resend": "POST only",
    "portal:tour_done": "POST only",
    "portal:names": "POST only (the form is on «Профиль»)",
    "portal:email": "POST only (the form is on «Профиль»)",
    "portal:phone_resend": "POST only",
    "portal:email_resend": "POST only (the button is on «Профиль»)",
    "portal:remove_account": "POST only (the button is on «Профиль»)",
    "portal:revoke_token": "POST only (the button is on «Токены доступа»)",
    "portal:appeal_message": "POST only (the form is on the appeal's page)",
    "portal:appeal_file": "a file download",
    "portal:appeal_rating": "POST only (the form is on the appeal's page)",
    "portal:bill": "a PDF download",
    "portal:complaint_pdf": "a PDF download",
    "backoffice:complaint_pdf": "a PDF download",
    "backoffice:answer_letter_pdf": "a PDF download",
    "backoffice:forward": "POST only (the form is on the complaint's page)",
    "backoffice:letter_sent": "POST only (the button is on the complaint's page)",
    "backoffice:logout": "POST only",
    "backoffice:take": "POST only",
    "backoffice:reply": "POST only",
    "backoffice:note": "POST only",
    "backoffice:status": "POST only",
    "backoffice:reassign": "POST only",
    "backoffice:file": "a file download",
    "backoffice:refund": "POST only (the form is on the payment's page)",
    "portal:second_factor_codes": "POST only (the button is on «Второй шаг входа»)",
    "portal:second_factor_off": "POST only (the form is on «Второй шаг входа»)",
    "portal:second_factor_sms": "POST only (the button is on «Подтверждение входа»)",
    "portal:second_factor_sms_setup": "POST only (the button is on «Второй шаг входа», whose page it shows)",
    "portal:second_factor_sms_confirm": "POST only (the form is on «Второй шаг входа»)",
    "backoffice:second_factor_codes": "POST only (the button is on «Второй фактор входа»)",
    "portal:passkey_sign_in_options": "POST only, JSON for the script of «Подтверждение входа», not a page",
    "portal:passkey_options": "POST only, JSON for the script of «Второй шаг входа», not a page",
    "portal:passkey_add": "POST only (the form is on «Второй шаг входа», whose page it shows)",
    "portal:passkey_remove": "POST only (the form is on «Второй шаг входа»)",
    "backoffice:passkey_sign_in_options": "POST only, JSON for the script of «Подтверждение входа», not a page",
    "backoffice:passkey_options": "POST only, JSON for the script of «Второй фактор входа», not a page",
    "backoffice:passkey_add": "POST only (the form is on «Второй фактор входа», whose page it shows)",
    "backoffice:passkey_remove": "POST only (the button is on «Второй фактор входа»)",
    "backoffice:second_factor_grant": "POST only (the form is on «Второй фактор входа», after a deleted device)",
    "portal:payment_status": "JSON for the payment page's script, not a page",
    "healthz": "plain «ok» for load balancers, not a page",
    "readyz": "JSON for load balancers, not a page",
    "metrics": "Prometheus text for the monitoring server, not a page",
    "payments:notifications": "POST only, ЮKassa's server posts its notifications here",
}
EXCLUDED_NAMESPACES = {
    "admin": "Django's own admin, a desktop tool for staff",
    "api": "the JSON API (tests/api); its /api/v1/docs page is ninja's Swagger UI, a developer's tool",
}

PUBLIC = ["portal:landing", "portal:consent", "portal:login", "portal:register", "portal:register_confirm",
          "portal:recover", "portal:recover_code", "portal:set_password", "portal:reset_by_link",
          "portal:rate", "portal:rate_score", "portal:rate_comment"]  # fmt: skip
CUSTOMER = ["portal:home", "portal:tour", "portal:profile", "portal:phone", "portal:phone_confirm",
            "portal:password", "portal:add_account", "portal:appeals", "portal:appeal_new", "portal:appeal",
            "portal:complaint_new",
            "portal:appeal_created", "portal:account", "portal:readings", "portal:readings_history",
            "portal:bills", "portal:confirm_email", "portal:confirm_remove_account",
            "portal:autopayment", "portal:autopayment_off", "portal:tokens", "portal:second_factor_settings",
            "portal:second_factor"]  # fmt: skip
OFFICE = ["backoffice:login", "backoffice:queue", "backoffice:appeal", "backoffice:payments", "backoffice:payment",
          "backoffice:ratings", "backoffice:second_factor_setup", "backoffice:second_factor"]  # fmt: skip
PAYMENTS = ["portal:pay", "portal:payment"]  # with an acquirer: see test_payment_pages_fit
DEMO = ["dev:outbox", "payments:demo"]  # routed only when the demo starts with DEBUG on: see test_the_demo_outbox_fits
WITH_OUTBOX = "tests.core.urls_with_outbox"


def url_names() -> set[str]:
    """Every named URL pattern, as «namespace:name», outside the excluded namespaces."""
    found = set()

    def walk(resolver, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace]))
                if inner not in EXCLUDED_NAMESPACES:
                    walk(entry, inner)
            elif isinstance(entry, URLPattern):
                found.add(":".join(filter(None, [namespace, entry.name])))

    walk(get_resolver(WITH_OUTBOX), "")
    return found


def test_every_page_is_visited_or_excluded():
    forgotten = url_names() - set(PUBLIC) - set(CUSTOMER) - set(PAYMENTS) - set(OFFICE) - set(DEMO) - set(EXCLUDED)
    assert not forgotten, "visit these pages in tests/e2e/test_layout.py, or exclude them with a reason"
    assert {"portal:home", "backoffice:queue", "dev:outbox"} <= url_names(), "the walk found the pages"


# What a person reads as one thing although ordinary spaces may stand inside it, and so must not be
# broken over lines: amounts («1 234,56 ₽»), phone numbers and masks («+7 912 ***-**-34»), an
# abbreviation with what it abbreviates («г. Екатеринбург», «д. 45/2»), a month with its year.
# Single words («Свердловский», «e-mail», «07.11.2026») are the check's own business: see (c).
TOKENS = [
    r"\d{1,3}(?:[\u00a0\u202f ]\d{3})*,\d{2}(?:[\u00a0 ]₽)?",
    r"\+7[\s\u00a0]\d{3}[\s\u00a0][\d*]{3}[-\u2011][\d*]{2}[-\u2011]\d{2}",
    r"(?<!\p{L})(?:г|ул|пр|пер|д|корп|кв)\.[ \u00a0][\p{Lu}\p{N}][^\s,]*",
    r"(?<!\p{L})(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)\p{L}{0,2}[ \u00a0]\d{4}",
]

SCREEN_CHECK = r"""(tokens) => {
  const problems = [];
  const describe = (e) => `${e.tagName.toLowerCase()}${[...e.classList].map((c) => '.' + c).join('')} `
    + `«${e.textContent.trim().replace(/\s+/g, ' ').slice(0, 50)}»`;
  // Text only for screen readers (1×1 px and clipped) is not seen: skip it and what is inside.
  const unseen = (e) => {
    for (let a = e; a && a !== document.body; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      if (r.width <= 1 && r.height <= 1) return true;
      if (a.matches('.skip-link, .visually-hidden')) return true;
      if (getComputedStyle(a).clip === 'rect(0px, 0px, 0px, 0px)') return true;
    }
    return false;
  };
  const seen = [...document.querySelectorAll('body *')]
    .filter((e) => e instanceof HTMLElement && e.checkVisibility() && !unseen(e));

  // (b) nothing cut: no box hides part of its content sideways (overflow hidden, clip, an
  // ellipsis, or a sideways scroll that hides columns); typed values in fields may scroll.
  for (const e of seen) {
    if (e.matches('input, textarea, select')) continue;
    const overflow = getComputedStyle(e).overflowX;
    if (overflow !== 'visible' && e.scrollWidth > e.clientWidth + 1) {
      problems.push(`cut (overflow-x: ${overflow}, ${e.scrollWidth}px in ${e.clientWidth}px): ${describe(e)}`);
    }
  }

  // Line boxes of a range: one entry per line, with the text's width on it.
  const lines = (rects) => {
    const found = [];
    for (const r of [...rects].filter((r) => r.width > 0).sort((a, b) => a.top - b.top)) {
      const last = found[found.length - 1];
      if (last && r.top < last.top + last.height / 2) last.width += r.width;
      else found.push({top: r.top, height: r.height, width: r.width});
    }
    return found;
  };
  const rangeOf = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return range;
  };
  const lineCount = (node, start, end) => lines(rangeOf(node, start, end).getClientRects()).length;
  const textNodes = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) {
      const parent = walker.currentNode.parentElement;
      if (parent && parent.checkVisibility() && !unseen(parent)
          && !parent.closest('script, style, select, option, textarea'))
        nodes.push(walker.currentNode);
    }
    return nodes;
  };

  // (c) no word of visible text is broken over lines. A word is a run of letters and digits with
  // what joins them into one thing a person reads: hyphens («e-mail», «6-значный», «***-**-34»),
  // non-breaking spaces («3 988,21 ₽» as billing.money writes it, «д. 45/2»), and dots, commas,
  // colons and slashes between digits («07.11.2026», «45/2», «14:32»). Where it broke is shown
  // with «|». Then the tokens above, which may hold ordinary spaces.
  const PART = '[\\p{L}\\p{N}\\p{M}\\p{Sc}*]+';
  const JOIN = '(?:\\.?[\\u00a0\\u202f\\u2060]+|[\\-\\u2010\\u2011·]|(?<=\\p{N})[.,:/](?=\\p{N}))';
  const WORD = new RegExp(`\\+?${PART}(?:${JOIN}${PART})*`, 'gu');
  const patterns = [WORD, ...tokens.map((t) => new RegExp(t, 'gu'))];
  const broken = (node, start, text) => {
    let cut = 1;
    while (cut < text.length && lineCount(node, start, start + cut + 1) < 2) cut += 1;
    return text.slice(0, cut) + '|' + text.slice(cut);
  };
  for (const node of textNodes(document.body)) {
    if (lineCount(node, 0, node.data.length) < 2) continue;  // on one line: every word in it is whole
    for (const pattern of patterns) {
      for (const match of node.data.matchAll(pattern)) {
        const count = lineCount(node, match.index, match.index + match[0].length);
        if (count > 1)
          problems.push(`«${broken(node, match.index, match[0])}» broken over ${count} lines in `
            + describe(node.parentElement));
      }
    }
  }

  // (d) buttons: at most two lines, and never wrapped while their text would fit the space
  // their container gives them (squeezed by a neighbour into a tall block).
  for (const b of seen.filter((e) => e.matches('button, .button, input[type=submit]'))) {
    const rects = [];
    for (const node of textNodes(b)) rects.push(...rangeOf(node, 0, node.data.length).getClientRects());
    const found = lines(rects);
    if (found.length <= 1) continue;
    const text = found.reduce((sum, line) => sum + line.width, 0);
    const parent = getComputedStyle(b.parentElement), own = getComputedStyle(b);
    const room = b.parentElement.clientWidth - parseFloat(parent.paddingLeft) - parseFloat(parent.paddingRight)
      - parseFloat(own.paddingLeft) - parseFloat(own.paddingRight)
      - parseFloat(own.borderLeftWidth) - parseFloat(own.borderRightWidth);
    if (found.length > 2) problems.push(`button on ${found.length} lines: ${describe(b)}`);
    else if (text + 4 <= room)
      problems.push(`button squeezed onto 2 lines (${Math.round(text)}px of text, ${Math.round(room)}px of room): `
        + describe(b));
  }
  return problems;
}"""


def check_the_page(page, name: str, failures: dict[str, list[str]]) -> None:
    """The page shown is `name`'s, and it fits the screen: (a) to (d) above."""
    page.wait_for_load_state("load")
    assert resolve(urlsplit(page.url).path, WITH_OUTBOX).view_name == name, f"{page.url} is not {name}"
    problems = []
    try:
        assert_fits_the_screen(page)
    except AssertionError as overflow:
        problems.append(f"overflows sideways: {overflow}")
    problems += page.evaluate(SCREEN_CHECK, TOKENS)
    if problems:
        failures[f"{name} ({urlsplit(page.url).path})"] = problems


def assert_no_failures(page, failures: dict[str, list[str]]) -> None:
    report = "\n".join(f"{page}:\n  " + "\n  ".join(problems) for page, problems in failures.items())
    assert not failures, f"at {page.viewport_size['width']} px wide:\n" + report


def charge(account, months: int) -> None:
    """Months of two-zone electricity, a recalculation, payments: amounts in thousands."""
    service, _ = Service.objects.get_or_create(
        code="electricity", defaults={"name": "Электроснабжение", "unit": "кВт·ч"}
    )
    for back in range(months, 0, -1):
        period = months_back(back)
        for zone, volume, tariff in (("Т1", "1230.5", "6.71"), ("Т2", "480", "3.52")):
            Accrual.objects.create(account=account, period=period, service=service, zone=zone, volume=Decimal(volume),
                                   tariff=Decimal(tariff), amount=to_kopecks(Decimal(volume) * Decimal(tariff)),
                                   recalculation=Decimal("-200.00") if back == 1 else Decimal(0),
                                   recalculation_reason="временное отсутствие" if back == 1 else "")  # fmt: skip
        Payment.objects.create(
            account=account, paid_on=period.replace(day=5), amount=Decimal("9047.60"), channel="bank"
        )
    rebuild_balances(account, opening=Decimal("12500.00"))


# --- The world: a customer with two accounts, charges, bills, meters, appeals with files ------
@pytest.fixture
def world(sverdlovsk, perm, reason):
    for region in (sverdlovsk, perm):
        region.readings_from_day, region.readings_to_day = 1, 31  # the form is open whatever the date
        region.save()
    home = make_account(sverdlovsk, "660100000077", house="112а", flat="145")
    dacha = make_account(perm, "5901000077", house="7", flat="1")
    make_account(sverdlovsk, FREE_ACCOUNT, house="3")
    customer = make_customer(PHONE, home, first_name="Александра", last_name="Константинопольская",
                             email="aleksandra.konstantinopolskaya@example.ru")  # fmt: skip
    customer.account_links.create(account=dacha)
    charge(home, months=6)
    meter = make_meter(home, zones=2, serial="0123456789")
    for back in range(3, 0, -1):
        add_reading(meter, months_back(back), 15000 + 230 * (3 - back), 7000 + 90 * (3 - back))
    long_words = "Изменение количества зарегистрированных (проживающих)"  # the demo's longest words
    long_reason = Reason.objects.create(topic=reason.topic, name=long_words, answer_days=30)
    appeals = [make_appeal(customer, home, r, files=2) for r in (reason, reason, long_reason)]
    operator = User.objects.create_user(None, PASSWORD, email="operator@example.ru", first_name="Ирина",
                                        last_name="Оператор")  # fmt: skip
    role = StaffRole.objects.create(user=operator, role="operator")
    role.regions.add(sverdlovsk)
    take(role, appeals[0].pk)
    answer = "Перерасчёт сделан, он будет в квитанции за следующий месяц."
    reply(role, appeals[0].pk, Reply(answer, "answered", [upload_file(operator, "расчёт.pdf")]))
    payment = make_online_payment(home, "12345.67", receipt_email=customer.email, acquirer_id=str(uuid.uuid4()))
    Refund.objects.create(payment=payment, amount=Decimal("1000.00"), reason="Двойная оплата", status="succeeded",
                          requested_by=operator)  # fmt: skip
    complaint = make_complaint(customer, home, files=1)
    return {"customer": customer, "home": home, "appeal": appeals[0], "payment": payment, "complaint": complaint}


def test_public_pages_fit_the_screen(any_page, world, outbox):
    page = any_page
    failures: dict[str, list[str]] = {}
    for path, name in (("/", "portal:landing"), ("/consent/", "portal:consent"), ("/login/", "portal:login"),
                       ("/register/", "portal:register"), ("/recover/", "portal:recover"),
                       ("/recover/link/MQ/bad-token/", "portal:reset_by_link")):  # fmt: skip
        page.goto(path)
        check_the_page(page, name, failures)

    page.goto("/register/")
    fill_registration_form(page, FREE_ACCOUNT, "3", "+7 912 111-22-33")
    expect(page.get_by_label("Код из SMS")).to_be_visible()
    check_the_page(page, "portal:register_confirm", failures)

    page.goto("/recover/")
    page.get_by_label("Телефон или e-mail, указанный при регистрации").fill(PHONE)
    page.get_by_role("button", name="Восстановить пароль").click()
    expect(page.get_by_label("Код из SMS")).to_be_visible()
    check_the_page(page, "portal:recover_code", failures)
    page.get_by_label("Код из SMS").fill(outbox.last_code(PHONE))
    page.get_by_role("button", name="Отправить", exact=True).click()
    expect(page.get_by_role("heading", name="Новый пароль")).to_be_visible()
    check_the_page(page, "portal:set_password", failures)
    assert_no_failures(page, failures)


def test_customer_pages_fit_the_screen(any_page, world):
    page = any_page
    home, appeal = world["home"], world["appeal"]
    failures: dict[str, list[str]] = {}
    AutoPayment.objects.create(account=home, user=world["customer"], status="active", day=15,
                               cap=Decimal("12500.00"), method_id="demo", method_title="Карта •••• 4444")  # fmt: skip
    api_token(world["customer"], home)  # «Токены доступа» with its table
    log_in(page, PHONE)
    expect(page.get_by_role("heading", name="Здравствуйте, Александра!")).to_be_visible()
    pages = [
        ("/home/", "portal:home"), ("/tour/", "portal:tour"), ("/profile/", "portal:profile"),
        ("/profile/phone/", "portal:phone"), ("/profile/password/", "portal:password"),
        ("/profile/accounts/add/", "portal:add_account"), ("/appeals/", "portal:appeals"),
        ("/appeals/new/", "portal:appeal_new"), (f"/appeals/{appeal.number}/", "portal:appeal"),
        (f"/appeals/{appeal.number}/created/", "portal:appeal_created"),
        ("/appeals/complaint/new/", "portal:complaint_new"),
        (f"/appeals/{world['complaint'].number}/", "portal:appeal"),
        (f"/appeals/{world['complaint'].number}/created/", "portal:appeal_created"),
        (f"/accounts/{home.pk}/", "portal:account"), (f"/accounts/{home.pk}/readings/", "portal:readings"),
        (f"/accounts/{home.pk}/readings/history/", "portal:readings_history"),
        (f"/accounts/{home.pk}/bills/", "portal:bills"),
        ("/profile/email/confirm/bad-token/", "portal:confirm_email"),
        (f"/profile/accounts/{world['customer'].account_links.get(account=home).pk}/remove/confirm/",
         "portal:confirm_remove_account"),
        (f"/accounts/{home.pk}/autopayment/", "portal:autopayment"),
        (f"/accounts/{home.pk}/autopayment/off/", "portal:autopayment_off"),
        ("/profile/tokens/", "portal:tokens"), ("/profile/second-factor/", "portal:second_factor_settings"),
    ]  # fmt: skip
    for path, name in pages:
        page.goto(path)
        check_the_page(page, name, failures)
    give_second_factor(world["customer"])  # the code page after the password
    page.get_by_text("Александра Константинопольская").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")
    log_in(page, PHONE)
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    check_the_page(page, "portal:second_factor", failures)
    page.get_by_label("Код из приложения").fill(recovery_code(world["customer"]))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", name="Здравствуйте, Александра!")).to_be_visible()

    page.goto("/profile/phone/")
    page.get_by_label("Новый телефон").fill("+7 912 555-66-77")
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_label("Код из SMS")).to_be_visible()
    check_the_page(page, "portal:phone_confirm", failures)
    assert_no_failures(page, failures)


def test_back_office_pages_fit_the_screen(any_page, world):
    page = any_page
    failures: dict[str, list[str]] = {}
    page.goto("/backoffice/login/")
    check_the_page(page, "backoffice:login", failures)
    page.get_by_label("E-mail или телефон").fill("operator@example.ru")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Второй фактор входа")).to_be_visible()
    check_the_page(page, "backoffice:second_factor_setup", failures)
    operator = User.objects.get(email="operator@example.ru")
    code = recovery_code(operator)  # sets the app up too: now the code page
    page.goto("/backoffice/")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    check_the_page(page, "backoffice:second_factor", failures)
    page.get_by_label("Код из приложения").fill(code)
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()
    check_the_page(page, "backoffice:queue", failures)
    page.goto(f"/backoffice/appeals/{world['appeal'].pk}/")
    check_the_page(page, "backoffice:appeal", failures)
    take(StaffRole.objects.get(user__email="operator@example.ru"), world["complaint"].pk)
    page.goto(f"/backoffice/appeals/{world['complaint'].pk}/")  # the complaint's fields and «Передать»
    check_the_page(page, "backoffice:appeal", failures)
    page.get_by_label("Дата передачи").fill(timezone.localdate().isoformat())
    page.get_by_label("Сетевая организация").fill("АО «ЕЭСК»")
    page.get_by_label("Номер в сетевой организации").fill("СО-2026/4711")
    page.get_by_role("button", name="Передано в сетевую организацию").click()
    page.get_by_text("Исправить").click()  # the forwarding as recorded, its form opened
    expect(page.get_by_role("button", name="Сохранить исправление")).to_be_visible()
    check_the_page(page, "backoffice:appeal", failures)
    page.goto("/backoffice/payments/")
    check_the_page(page, "backoffice:payments", failures)
    StaffRole.objects.update(role=StaffRole.Role.SUPERVISOR)  # who sees the refund form
    page.goto(f"/backoffice/payments/{world['payment'].public_id}/")
    expect(page.get_by_label("Причина возврата")).to_be_visible()
    check_the_page(page, "backoffice:payment", failures)
    page.goto("/backoffice/ratings/")
    check_the_page(page, "backoffice:ratings", failures)
    assert_no_failures(page, failures)


def test_rating_pages_fit(any_page, world, outbox):
    """«Оцените ответ» from the answer's SMS: the confirmation, «Спасибо!» with the comment, the
    comment saved, and the refusal of a used link."""
    page, failures = any_page, {}
    [text] = [m["text"] for m in outbox.messages() if "Оцените ответ" in m["text"]]
    path = urlsplit(re.search(r"https?://\S+/rate/\S+/", text).group(0)).path
    page.goto(path)
    check_the_page(page, "portal:rate", failures)
    page.get_by_label("2 — Плохо").check()
    page.get_by_role("button", name="Отправить оценку").click()
    expect(page.get_by_role("heading", name="Спасибо!")).to_be_visible()
    check_the_page(page, "portal:rate", failures)
    page.get_by_label("Комментарий (необязательно)").fill("Ответ не по существу")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Оценка и комментарий сохранены")).to_be_visible()
    check_the_page(page, "portal:rate_comment", failures)
    page.goto(path + "5/")
    expect(page.get_by_text("По этой ссылке оценка уже поставлена")).to_be_visible()
    check_the_page(page, "portal:rate_score", failures)
    assert_no_failures(page, failures)


def test_the_demo_outbox_fits(any_page, world, settings):
    """/dev/outbox/, where the README sends people for their code, as `make run` serves it."""
    settings.DEBUG, settings.ROOT_URLCONF = True, WITH_OUTBOX
    settings.KABINET_SMS_BACKEND, settings.KABINET_KEEP_SECRET_MESSAGES = "file", True
    page, failures = any_page, {}
    page.goto("/register/")
    fill_registration_form(page, FREE_ACCOUNT, "3", "+7 912 111-22-33", email="petr.sidorov@example.ru")
    expect(page.get_by_label("Код из SMS")).to_be_visible()
    page.goto("/dev/outbox/")
    expect(page.get_by_role("cell", name="+79121112233")).to_be_visible()
    check_the_page(page, "dev:outbox", failures)
    assert_no_failures(page, failures)


def test_payment_pages_fit(any_page, world, settings):
    """«Оплатить» and a payment's page in each state, as `make run` serves them (the demo
    acquirer needs DEBUG); the home card and the accruals with «Платёж в обработке»."""
    settings.DEBUG, settings.ROOT_URLCONF = True, WITH_OUTBOX
    home = world["home"]
    page, failures = any_page, {}
    log_in(page, PHONE)
    page.goto(f"/accounts/{home.pk}/pay/")
    check_the_page(page, "portal:pay", failures)
    page.get_by_label("Сумма к оплате, ₽").fill("0")
    page.get_by_role("button", name="Перейти к оплате").click()
    expect(page.get_by_role("heading", name="Есть ошибки")).to_be_visible()
    check_the_page(page, "portal:pay", failures)
    for status, reason in (("succeeded", ""), ("canceled", "insufficient_funds"), ("pending", "")):
        payment = OnlinePayment.objects.create(account=home, amount=Decimal("12345.67"), method="sbp", status=status,
                                               receipt_email="a@example.ru", cancellation_reason=reason)  # fmt: skip
        page.goto(f"/pay/{payment.public_id}/")
        page.locator(f"[data-payment-state={status}]").wait_for()
        check_the_page(page, "portal:payment", failures)
    for path, name in ((f"/accounts/{home.pk}/", "portal:account"), ("/home/", "portal:home")):
        page.goto(path)
        expect(page.get_by_text("Платёж в обработке:").first).to_be_visible()
        check_the_page(page, name, failures)
    assert_no_failures(page, failures)


def test_the_demo_payment_page_fits(any_page, world, settings):
    """«Тестовая оплата», the demo acquirer's page, as `make run` serves it (DEBUG, no ЮKassa shop)."""
    settings.DEBUG, settings.ROOT_URLCONF = True, WITH_OUTBOX
    settings.KABINET_YOOKASSA_SHOP_ID = ""
    payment = start_payment(user=world["customer"], account=world["home"], amount=Decimal("12345.67"),
                            method="bank_card", receipt_email="a@example.ru", return_url="/")  # fmt: skip
    page, failures = any_page, {}
    page.goto(payment.confirmation_url)
    expect(page.get_by_role("heading", name="Тестовая оплата")).to_be_visible()
    expect(page.get_by_role("button", name="Оплатить")).to_be_visible()
    check_the_page(page, "payments:demo", failures)
    assert_no_failures(page, failures)


def test_the_check_sees_what_the_review_saw(page, world):
    """The check itself: a squeezed button, a clipped cell, a word, an amount, «e-mail», a phone
    mask and «г. Екатеринбург» broken over lines are caught; a sentence wrapped between words is not."""
    page.goto("about:blank")  # the portal's Content-Security-Policy would refuse the inline styles
    page.set_content(
        '<meta name="viewport" content="width=device-width">'
        '<div style="width:200px;display:flex"><span style="width:150px;flex:none">Энергосбыт</span>'
        '<a class="button" href="#">Личный кабинет</a></div>'
        '<p style="width:60px;overflow:hidden;white-space:nowrap">Свердловский</p>'
        '<p style="width:40px;overflow-wrap:anywhere">1&nbsp;047,60&nbsp;₽</p>'
        '<dl><dd style="width:60px;overflow-wrap:break-word">Свердловский</dd></dl>'
        '<p style="width:4.5em">Ваш e-mail</p>'
        '<p style="width:9em">Номер: +7 912 ***-**-34</p>'
        '<p style="width:7em">Адрес: г. Екатеринбург</p>'
        '<p style="width:12em">Перерасчёт сделан, он будет в квитанции за следующий месяц.</p>'
    )
    problems = page.evaluate(SCREEN_CHECK, TOKENS)
    expected = ["button squeezed", "cut (overflow-x: hidden", "«1\u00a0047,", "«Свердло|вский» broken over 2 lines",
                "«e-|mail» broken", "«+7 912 ***-|**-34» broken", "«г. |Екатеринбург» broken"]  # fmt: skip
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, "\n".join(problems))
    assert not any("Перерасчёт" in p or "следующий" in p for p in problems), problems


def nameless_controls(page) -> list[str]:
    """Links and buttons a screen reader would announce without a name (Chromium's own tree)."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    controls = [node for node in tree if not node.get("ignored")]
    controls = [
        node for node in controls if node.get("role", {}).get("value") in ("link", "button", "DisclosureTriangle")
    ]
    return [
        f"{node['role']['value']} {node.get('backendDOMNodeId')}"
        for node in controls
        if not node.get("name", {}).get("value", "").strip()
    ]


def test_every_link_and_button_of_the_layout_has_a_name(any_page, customer, account):
    """The header's avatar and menu said nothing to a screen reader."""
    page = any_page
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name="Здравствуйте, Анна!")).to_be_visible()
    wait_ready(page)
    for path in ("/profile/", "/profile/tokens/", "/appeals/", f"/accounts/{account.pk}/", "/home/"):
        goto(page, path)
        assert nameless_controls(page) == [], path
    menu = page.get_by_role("navigation", name="Учётная запись")
    expect(menu.get_by_text("Анна Иванова")).to_be_visible()
    expect(menu.locator("summary")).to_have_accessible_name("Меню профиля: Анна Иванова")
    expect(page.locator("a.brand")).to_have_accessible_name("Энергосбыт · Личный кабинет клиента — на главную")
