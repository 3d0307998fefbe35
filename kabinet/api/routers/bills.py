"""Bills («Квитанции»): the months with a bill, and a bill's PDF — the very file the page gives
(`billing.bill_jobs.customer_bill`: within the window, generated on demand)."""

from decimal import Decimal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Path, Router, Schema

from kabinet.api.access import account_or_404
from kabinet.api.caching import etag
from kabinet.api.ids import ObjectId
from kabinet.api.problems import ApiProblem
from kabinet.api.routers.accounts import month_or_422
from kabinet.api.schemas import problem_responses
from kabinet.billing.bill_jobs import bill_months, customer_bill
from kabinet.billing.bills import NoBill
from kabinet.core.storage import private_download

router = Router(tags=["Квитанции"])

PERIOD_PATTERN = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"  # from year 1000: date() has no year 0
NO_BILL = "Квитанции за этот месяц нет."


class BillOut(Schema):
    period: str = Field(description="Месяц, ГГГГ-ММ", examples=["2026-10"])
    closing: Decimal | None = Field(description="Сальдо на конец месяца")
    to_pay: Decimal | None = Field(description="К оплате по квитанции")
    pdf_url: str


@router.get(
    "/{int:account_id}/bills",
    response={200: list[BillOut], **problem_responses(401, 404, 429)},
    summary="Квитанции",
    description="Месяцы с квитанцией за последние три года, от новых к старым.",
)
@etag
def list_bills(request: HttpRequest, account_id: ObjectId):
    account = account_or_404(request.auth, account_id)
    return [
        BillOut(
            period=f"{month.period:%Y-%m}",
            closing=month.closing,
            to_pay=month.to_pay,
            pdf_url=reverse("api:bill_pdf", kwargs={"account_id": account.pk, "period": f"{month.period:%Y-%m}"}),
        )
        for month in bill_months(account, timezone.localdate())
    ]


PDF_RESPONSE = {
    "200": {
        "description": "PDF квитанции",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/{int:account_id}/bills/{period}.pdf",
    response=problem_responses(401, 404, 422, 429),
    url_name="bill_pdf",
    summary="Квитанция в PDF",
    openapi_extra={"responses": PDF_RESPONSE},
)
def bill_pdf(request: HttpRequest, account_id: ObjectId, period: str = Path(..., pattern=PERIOD_PATTERN)):
    account = account_or_404(request.auth, account_id)
    month = month_or_422(period, "period")
    try:
        bill = customer_bill(account, month)
    except NoBill:
        raise ApiProblem(404, NO_BILL) from None
    return private_download(bill.pdf, f"kvitanciya-{account.number}-{month:%Y-%m}.pdf", "application/pdf")
