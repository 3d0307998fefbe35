"""«Квитанции»: the list of the last three years, the PDF download (on demand, as an
attachment), the 36-month window, isolation, and the «Электронная квитанция» setting."""

from datetime import date
from decimal import Decimal
from pathlib import Path
import re

from django.http import Http404
from django.template import engines
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.bill_jobs import (
    BillMonth,
    bill_months,
    bill_window,
    customer_account_and_subscription,
    subscribe,
)
from kabinet.billing.models import Accrual, Bill, BillSubscription, MonthBalance, PersonalAccount
from kabinet.billing.periods import add_months
from kabinet.portal.bill_forms import EBillForm
from tests.factories import accrue, customer_login, make_account, make_billed, make_customer, pdf_text

pytestmark = pytest.mark.django_db


def this_month() -> date:
    return timezone.localdate().replace(day=1)


@pytest.fixture
def last_month(account, customer) -> date:
    """The account billed last month (and the month before), as the demo is."""
    period = add_months(this_month(), -1)
    make_billed(account, period=period)
    return period


def bill_url(account, period) -> str:
    return reverse("portal:bill", kwargs={"account_id": account.pk, "period": period})


def list_url(account) -> str:
    return reverse("portal:bills", kwargs={"account_id": account.pk})


# --- The list -------------------------------------------------------------------------------
def test_the_list_shows_billed_months_with_links(client, customer, account, last_month):
    customer_login(client, customer)
    response = client.get(list_url(account))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Квитанции</h1>" in html
    assert "Лицевой счёт 660100000001" in html
    assert bill_url(account, last_month) in html
    assert bill_url(account, add_months(last_month, -1)) in html
    assert "к оплате 1\u00a0536,18\u00a0₽" in html
    assert 'for="id_ebill"' in html, "the checkbox has its label"
    assert "style=" not in html and "<script>" not in html, "CSP: no inline styles or scripts"


def test_the_list_says_how_long_bills_are_kept_not_that_it_holds_three_years(client, customer, account, last_month):
    customer_login(client, customer)
    html = client.get(list_url(account)).content.decode()
    assert "Квитанции хранятся здесь три года." in html
    assert "За последние три года" not in html, "a heading over two rows promising 36"


def the_ebill_hint(html: str) -> str:
    """The help under the checkbox, its tags (<wbr>) left out."""
    hint = re.search(r'<p class="help">(.*?)</p>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", hint).split())


def test_the_ebill_hint_says_what_ticking_would_do_until_it_is_on(client, customer, account):
    customer_login(client, customer)
    hint = the_ebill_hint(client.get(list_url(account)).content.decode())
    assert hint.startswith("Если отметить и сохранить, квитанции будут приходить на anna@example.ru,"), hint

    client.post(list_url(account), {"ebill": "on"})
    hint = the_ebill_hint(client.get(list_url(account)).content.decode())
    assert hint == "Снимите отметку и сохраните, чтобы снова получать квитанцию на бумаге."


def test_the_list_needs_a_login(client, account):
    response = client.get(list_url(account))
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:login')}?next={list_url(account)}"


def test_the_list_without_bills(client, customer, account):
    customer_login(client, customer)
    assert "Квитанций по этому лицевому счёту пока нет" in client.get(list_url(account)).content.decode()


def test_the_list_stays_within_36_months(client, customer, account):
    accrue(account, add_months(this_month(), -36))
    accrue(account, add_months(this_month(), -37))
    customer_login(client, customer)
    html = client.get(list_url(account)).content.decode()
    assert bill_url(account, add_months(this_month(), -36)) in html
    assert bill_url(account, add_months(this_month(), -37)) not in html


# --- The download ---------------------------------------------------------------------------
def test_download_is_a_pdf_attachment_generated_on_demand(client, customer, account, last_month):
    customer_login(client, customer)
    assert not Bill.objects.exists()
    response = client.get(bill_url(account, last_month))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (f'attachment; filename="kvitanciya-660100000001-{last_month:%Y-%m}.pdf"')
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    pdf = b"".join(response.streaming_content)
    text = pdf_text(pdf)
    assert "660100000001" in text
    assert "1 536,18 ₽" in text
    assert Bill.objects.get().period == last_month, "stored for next time"
    again = client.get(bill_url(account, last_month))
    assert b"".join(again.streaming_content) == pdf
    assert Bill.objects.count() == 1


@pytest.mark.parametrize(("months_back", "status"), [(0, 200), (36, 200), (37, 404), (-1, 404)])
def test_download_window(client, customer, account, months_back, status):
    period = add_months(this_month(), -months_back)
    accrue(account, period)
    customer_login(client, customer)
    assert client.get(bill_url(account, period)).status_code == status


def test_a_month_without_accruals_is_not_found(client, customer, account, last_month):
    customer_login(client, customer)
    assert client.get(bill_url(account, add_months(last_month, -5))).status_code == 404


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "26-10", "2026-1"])
def test_a_malformed_month_is_not_found(client, customer, account, period):
    customer_login(client, customer)
    assert client.get(f"/accounts/{account.pk}/bills/{period}/").status_code == 404


def test_another_customers_bill_is_not_found(client, sverdlovsk, customer, account, last_month):
    other_account = make_account(sverdlovsk, "660100000002", flat="7")
    make_customer("+79120000002", other_account, first_name="Борис")
    accrue(other_account, last_month)
    customer_login(client, customer)
    assert client.get(bill_url(other_account, last_month)).status_code == 404
    assert client.get(list_url(other_account)).status_code == 404
    assert client.post(list_url(other_account), {"ebill": "on"}).status_code == 404
    assert not Bill.objects.filter(account=other_account).exists(), "nothing generated for a stranger"
    assert not BillSubscription.objects.exists()


def test_download_refuses_post(client, customer, account, last_month):
    customer_login(client, customer)
    assert client.post(bill_url(account, last_month)).status_code == 405


# --- «Электронная квитанция» ----------------------------------------------------------------
def test_subscribe_and_unsubscribe(client, customer, account, last_month):
    customer_login(client, customer)
    response = client.post(list_url(account), {"ebill": "on"}, follow=True)
    assert response.redirect_chain == [(list_url(account), 302)]
    assert "Электронная квитанция подключена" in response.content.decode()
    assert "anna@example.ru" in response.content.decode()
    assert BillSubscription.objects.get(account=account).user == customer
    assert "checked" in response.content.decode()

    response = client.post(list_url(account), {}, follow=True)
    assert "Электронная квитанция отключена" in response.content.decode()
    assert not BillSubscription.objects.exists()


def test_without_email_the_page_says_where_to_add_it(client, account):
    user = make_customer("+79120000005", account)
    customer_login(client, user)
    html = client.get(list_url(account)).content.decode()
    assert "добавьте и подтвердите e-mail" in html
    assert f'href="{reverse("portal:profile")}"' in html
    assert 'name="ebill"' not in html, "nothing to tick without an e-mail"

    response = client.post(list_url(account), {"ebill": "on"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not BillSubscription.objects.exists()


def test_a_subscriber_who_lost_the_email_can_still_unsubscribe(client, customer, account):
    subscribe(customer, account)
    customer.email = None
    customer.save()
    customer_login(client, customer)
    html = client.get(list_url(account)).content.decode()
    assert 'name="ebill"' in html
    client.post(list_url(account), {})
    assert not BillSubscription.objects.exists()


def test_money_on_the_page_is_decimal(client, customer, account, last_month):
    customer_login(client, customer)
    months = client.get(list_url(account)).context["months"]
    assert [m.period for m in months] == [last_month, add_months(last_month, -1)]
    assert all(isinstance(m.closing, Decimal) for m in months)
    assert months[0].closing == Decimal("1536.18")


def test_the_home_card_links_to_the_bills(client, customer, account):
    customer_login(client, customer)
    html = client.get(reverse("portal:home")).content.decode()
    assert re.search(rf'<a [^>]*href="{list_url(account)}"[^>]*>Квитанция</a>', html)


# --- The months written by Python (portal/templatetags/bills_page.py) -----------------------
# The page drawn from each response's own context by the current template and by a copy of the
# template before step 16 of docs/performance.md (tests/portal/old_templates/bills_list.html):
# the same bytes for every balance a month can have, with and without the e-bill and an e-mail,
# refused, and without bills.
OLD = Path(__file__).parent / "old_templates" / "bills_list.html"


def drawn_alike(response) -> str:
    page = [template.name for template in response.templates].index("portal/bills/list.html")
    context = response.context[page].flatten()
    request = response.wsgi_request
    engine = engines["django"]
    new = engine.get_template("portal/bills/list.html").render(context, request)
    # The old template from the old view's context: the months read and a GET's form built.
    old = {
        **context,
        "months": bill_months(context["account"], timezone.localdate()),
        "form": context["form"] or EBillForm(initial={"ebill": context["subscribed"]}),
    }
    before = engine.from_string(OLD.read_text(encoding="utf-8")).render(old, request)
    assert new == before
    assert response.content.decode() == new or response.status_code == 400  # a POST's CSRF token is rotated
    return new


@pytest.fixture
def every_balance(account, last_month) -> list[date]:
    """Months owing, overpaid, settled and without a balance yet, beside make_billed's two."""
    periods = [add_months(last_month, -n) for n in range(2, 6)]
    for period in periods:
        accrue(account, period)
    for period, closing in zip(periods[:3], ("-12.30", "0.00", "1234567.89"), strict=True):
        zero = Decimal(0)
        MonthBalance.objects.create(
            account=account, period=period, opening=zero, accrued=zero, paid=zero, closing=Decimal(closing)
        )
    return periods


@pytest.mark.parametrize("ebill", [False, True])
def test_the_list_is_drawn_as_the_template_drew_it(client, customer, account, every_balance, ebill):
    if ebill:
        subscribe(customer, account)
    customer_login(client, customer)
    html = drawn_alike(client.get(list_url(account)))
    assert "переплата 12,30" in html and "долга нет" in html and "к оплате 1" in html
    assert html.count("<tr>") == 7  # the head's row and six months
    assert "<td>—</td>" in html


def test_the_list_without_bills_or_an_email_is_drawn_as_the_template_drew_it(client, account):
    user = make_customer("+79120000005", account)
    customer_login(client, user)
    drawn_alike(client.get(list_url(account)))
    refused = client.post(list_url(account), {"ebill": "on"})
    assert refused.status_code == 400
    assert "alert-error" in drawn_alike(refused)


def test_a_closed_accounts_list_is_drawn_as_the_template_drew_it(client, customer, account, last_month):
    PersonalAccount.objects.filter(pk=account.pk).update(status=PersonalAccount.Status.CLOSED)
    customer_login(client, customer)
    drawn_alike(client.get(list_url(account)))


def test_the_months_are_those_of_the_queryset(account, every_balance):
    # The compiled statement against the ORM's reading of the same rule.
    today = timezone.localdate()
    oldest, newest = bill_window(today)
    periods = list(
        Accrual.objects.filter(account=account, period__range=(oldest, newest))
        .values_list("period", flat=True)
        .distinct()
        .order_by("-period")
    )
    closings = dict(MonthBalance.objects.filter(account=account).values_list("period", "closing"))
    assert bill_months(account, today) == [BillMonth(p, closings.get(p)) for p in periods]
    assert [m.closing for m in bill_months(account, today)][2:] == [
        Decimal("-12.30"), Decimal("0.00"), Decimal("1234567.89"), None
    ]  # fmt: skip


def test_the_account_and_its_ebill_are_one_statement(client, customer, account, last_month, django_assert_num_queries):
    customer_login(client, customer)
    client.get(list_url(account))
    for subscribed in (False, True):
        if subscribed:
            subscribe(customer, account)
        with django_assert_num_queries(1):
            found, flag = customer_account_and_subscription(customer, account.pk)
        assert (found, flag) == (account, subscribed)
    other = make_customer("+79120000006")
    with pytest.raises(Http404):
        customer_account_and_subscription(other, account.pk)
