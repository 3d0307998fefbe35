"""Issue 12: an operator uploads a month of charges in /admin/, sees the journal entry, and the
customer sees the new month on «Начисления и платежи»."""

from django.utils import timezone
from playwright.sync_api import expect
import pytest

from kabinet.billing.periods import add_months, month_name
from kabinet.exchange.models import ImportBatch
from kabinet.identity.models import User
from tests.e2e.helpers import DESKTOP, enter_second_factor, goto, log_in, open_page, wait_ready
from tests.factories import electricity, recovery_code

ADMIN_PASSWORD = "Admin-Demo-2026!"


@pytest.fixture
def admin_page(browser, live_server, public_url):
    context, page = open_page(browser, live_server, DESKTOP)
    yield page
    context.close()


def test_an_operator_uploads_a_month_of_charges_and_the_customer_sees_it(admin_page, page, customer, account, tmp_path):
    electricity()
    code = recovery_code(User.objects.create_superuser("+79990000000", ADMIN_PASSWORD))
    month = add_months(timezone.localdate().replace(day=1), -1)
    charges = tmp_path / f"accruals-{month:%Y-%m}.csv"
    charges.write_text(
        "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason\n"
        f"66,{account.number},{month:%Y-%m},electricity,1,150,6.7100,1006.50,,\n"
        f"66,{account.number},{month:%Y-%m},electricity,2,70,3.3800,236.60,,\n",
        encoding="utf-8",
    )

    office = admin_page
    office.goto("/admin/login/")
    office.get_by_label("Телефон").fill("+79990000000")
    office.get_by_label("Пароль").fill(ADMIN_PASSWORD)
    office.get_by_role("button", name="Войти").click()
    enter_second_factor(office, code, ready=False)
    expect(office.get_by_role("link", name="Выйти").or_(office.get_by_role("button", name="Выйти"))).to_be_visible()
    office.goto("/admin/exchange/importbatch/upload/")
    office.get_by_label("Вид файла").select_option(label="Начисления")
    office.get_by_label("Файл CSV").set_input_files(str(charges))
    office.get_by_role("button", name="Загрузить").click()
    expect(office.locator("li.success")).to_contain_text("Загружено: прочитано строк 2, создано 2")

    office.goto("/admin/exchange/importbatch/")
    row = office.get_by_role("row").filter(has_text=charges.name)
    expect(row).to_contain_text("Начисления")
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_created, batch.user.phone) == (ImportBatch.Status.DONE, 2, "+79990000000")

    log_in(page, "+79120000001")
    goto(page, f"/accounts/{account.pk}/")
    wait_ready(page)
    shown = page.locator("details.month").filter(has_text=month_name(month))
    expect(shown.get_by_role("table", name=f"Начисления за {month_name(month).lower()}")).to_be_visible()
    expect(shown).to_contain_text("1 243,10 ₽")
