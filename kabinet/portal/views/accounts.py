"""«Начисления и платежи» of a personal account: months with services and payments, and
charts of balance and consumption drawn on the server."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.billing.access import customer_account
from kabinet.billing.history import account_history
from kabinet.billing.money import format_rub
from kabinet.billing.periods import month_name
from kabinet.payments.services import in_progress, online_payment_available
from kabinet.portal.access import customer_required
from kabinet.portal.charts import Bar, bar_chart


@customer_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = customer_account(request.user, account_id)
    history = account_history(account)
    oldest_first = list(reversed(history.months))
    balance_chart = bar_chart(
        [Bar(f"{m.period:%m.%y}", f"{month_name(m.period)}: {format_rub(m.balance.closing)}", m.balance.closing)
         for m in oldest_first],
        chart_id="balance-chart",
        title="Сальдо на конец месяца (долг — вверх, переплата — вниз)",
        unit="₽",
    )  # fmt: skip
    unit = history.consumption[0][1] if history.consumption else ""
    consumption_chart = bar_chart(
        [Bar(f"{p:%m.%y}", f"{month_name(p)}: {v:.0f} {u}", v) for p, u, v in history.consumption],
        chart_id="consumption-chart",
        title=f"Потребление электроэнергии, {unit}",
        unit=unit,
    )
    context = {
        "account": account,
        "history": history,
        "balance_chart": balance_chart,
        "consumption_chart": consumption_chart,
        "consumption_unit": unit,
        "oldest_first": oldest_first,
        "pending": list(in_progress(account)),
        "pay_online": online_payment_available(),
    }
    return render(request, "portal/accounts/detail.html", context)
