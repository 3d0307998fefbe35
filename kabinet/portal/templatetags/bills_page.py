"""«Квитанции»'s months written by Python: a row a month of three years, whose template loop (two
`date` filters, the balance's four cases, a `{% url %}`) was about half of the page's rendering
(docs/performance.md, step 16). It writes the bytes of the loop it replaced:
tests/portal/test_bills.py holds it to a copy of that template (tests/portal/old_templates/bills_list.html)."""

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from kabinet.billing.bill_jobs import BillMonth
from kabinet.billing.money import format_rub
from kabinet.core.form_html import text
from kabinet.core.templatetags.cached_url import cached_reverse, current_app_of, reversing_with
from kabinet.core.templatetags.numeric_dates import date

register = template.Library()


@register.simple_tag(takes_context=True)
def bill_rows(context: template.Context, account_id: int, months: list[BillMonth]) -> SafeString:
    """The table's rows, newest first: the month, its closing balance in words, the PDF's link."""
    app, reversing = current_app_of(context), reversing_with()
    rows = "".join(
        _row(month, cached_reverse("portal:bill", (account_id, month.period), {}, app, reversing)) for month in months
    )
    return mark_safe(rows)  # noqa: S308 -- escaped by the parts


def _row(month: BillMonth, url: str) -> str:
    name = date(month.period, "F Y")
    return (
        "\n      <tr>\n"
        f'        <th scope="row">{text(name)}</th>\n'
        f"        <td>{_balance(month.closing)}</td>\n"
        f'        <td><a href="{text(url)}">Скачать PDF'
        f'<span class="visually-hidden"> — квитанция за {text(name.lower())}</span></a></td>\n'
        "      </tr>\n    "
    )


def _balance(closing: Decimal | None) -> str:
    """The closing balance as the page says it: overpaid, to pay, nothing owed, or unknown."""
    if closing is None:
        return "—"
    if closing < 0:
        return f"переплата {text(format_rub(-closing))}"
    if closing > 0:
        return f"к оплате {text(format_rub(closing))}"
    return "долга нет"
