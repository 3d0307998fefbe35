"""«Квитанция» in the browser (issue 5): from the home card to the bills, download a month's
PDF whose text holds the account number and the amount; switch on «Электронная квитанция»."""

from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from kabinet.billing.models import BillSubscription
from kabinet.billing.periods import add_months
from tests.e2e.helpers import log_in
from tests.factories import make_billed


def test_customer_downloads_a_bill(any_page, customer, account, tmp_path):
    period = add_months(timezone.localdate().replace(day=1), -1)
    make_billed(account, period=period)
    page = any_page

    log_in(page, "+79120000001")
    page.get_by_role("article", name="Лицевой счёт 660100000001").get_by_role("link", name="Квитанция").click()
    expect(page.get_by_role("heading", name="Квитанции", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Квитанции по месяцам")).to_be_visible()
    expect(page.get_by_text("Квитанции хранятся здесь три года.")).to_be_visible()  # not «за три года» over two rows
    row = page.get_by_role("row").filter(has_text="к оплате 1 536,18 ₽")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Скачать PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"kvitanciya-660100000001-{period:%Y-%m}.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = " ".join(" ".join(sheet.extract_text().split()) for sheet in PdfReader(path).pages).replace("\u00a0", " ")
    assert "660100000001" in text
    assert "1 536,18 ₽" in text


def test_customer_switches_on_the_electronic_bill(page, customer, account):
    log_in(page, "+79120000001")
    page.goto(f"/accounts/{account.pk}/bills/")
    # Unticked, the hint says what ticking would do, not that it is so.
    expect(page.get_by_text("Если отметить и сохранить, квитанции будут приходить на anna@example.ru")).to_be_visible()
    page.get_by_label("Получать квитанцию по e-mail вместо бумажной").check()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status").filter(has_text="Электронная квитанция подключена")).to_be_visible()
    expect(page.get_by_label("Получать квитанцию по e-mail вместо бумажной")).to_be_checked()
    expect(page.get_by_text("Если отметить и сохранить")).to_have_count(0)
    expect(page.get_by_text("Снимите отметку и сохраните, чтобы снова получать квитанцию на бумаге.")).to_be_visible()
    assert BillSubscription.objects.filter(account=account, user=customer).exists()
