"""Online payment by card or СБП: start one (the acquirer's confirmation_url comes back, where
the customer pays) and follow its status. Rules (amount, limits, receipt contact, repeated
presses) are `payments.services.start_payment`'s; the status is asked of the acquirer at most
as often as the payments domain allows. A sign-in's access token only: a personal token (a
home-automation poller) never starts a payment."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kabinet.api.access import account_or_404, accounts_of
from kabinet.api.auth import access_token_auth
from kabinet.api.ids import ObjectId
from kabinet.api.problems import ApiProblem
from kabinet.api.schemas import problem_responses
from kabinet.payments import services as payments
from kabinet.payments.models import OnlinePayment

router = Router(tags=["Онлайн-оплата"])

PAYMENT_NOT_FOUND = "Платёж не найден."


class OnlinePaymentIn(Schema):
    model_config = ConfigDict(strict=True)  # an amount is sent as a string: "1500.00", never a float

    amount: str = Field(description="Сумма в рублях, например 1500.00", examples=["1500.00"], max_length=20)
    method: str = Field(description="bank_card или sbp", examples=["bank_card"], max_length=16)
    receipt_email: str = Field(
        "", description="E-mail для электронного чека (нужен e-mail или телефон)", max_length=254
    )
    receipt_phone: str = Field("", description="Телефон для электронного чека", max_length=32)


class OnlinePaymentOut(Schema):
    public_id: UUID
    account_id: int
    amount: Decimal
    method: str
    status: str = Field(description="new, pending, waiting_for_capture, succeeded, canceled")
    status_name: str
    final: bool = Field(description="Оплачен или отменён: статус больше не изменится")
    confirmation_url: str = Field(description="Страница оплаты, куда отправить клиента")
    created_at: datetime
    paid_at: datetime | None


def payment_out(payment: OnlinePayment) -> OnlinePaymentOut:
    return OnlinePaymentOut(
        public_id=payment.public_id,
        account_id=payment.account_id,
        amount=payment.amount,
        method=payment.method,
        status=payment.status,
        status_name=payment.get_status_display(),
        final=payment.is_final,
        confirmation_url=payment.confirmation_url,
        created_at=payment.created_at,
        paid_at=payment.paid_at,
    )


def return_url(payment: OnlinePayment) -> str:
    """Where the acquirer sends the customer back: the portal's page of this payment."""
    return settings.KABINET_PUBLIC_URL + reverse("portal:payment", kwargs={"payment_id": payment.public_id})


@router.post(
    "/accounts/{int:account_id}/payments/online",
    auth=access_token_auth,
    response={201: OnlinePaymentOut, **problem_responses(401, 403, 404, 422, 429, 503)},
    summary="Начать онлайн-оплату",
    description="Создаёт платёж у эквайера; отправьте клиента на `confirmation_url`. Только токен входа "
    "(не личный токен). Повторный запрос с теми же данными в течение нескольких минут вернёт тот же платёж.",
)
def start_online_payment(request: HttpRequest, account_id: ObjectId, payload: OnlinePaymentIn):
    account = account_or_404(request.auth, account_id)
    if not payments.online_payment_available():
        raise ApiProblem(503, payments.AcquirerUnavailable().message)
    try:
        payment = payments.start_payment(
            user=request.auth.user,
            account=account,
            amount=payload.amount,
            method=payload.method,
            receipt_email=payload.receipt_email,
            receipt_phone=payload.receipt_phone,
            return_url=return_url,
        )
    except payments.PaymentRefused as refused:
        field = refused.field
        if field == "receipt":  # the API takes the contact in two fields, the page in one
            field = "receipt_phone" if payload.receipt_phone and not payload.receipt_email else "receipt_email"
        raise ApiProblem(422, refused.message, {field: [refused.message]} if field else None) from None
    except payments.AcquirerUnavailable as down:
        raise ApiProblem(503, down.message) from None
    return Status(201, payment_out(payment))


@router.get(
    "/payments/online/{uuid:public_id}",
    auth=access_token_auth,
    response={200: OnlinePaymentOut, **problem_responses(401, 403, 404, 429)},
    summary="Статус онлайн-платежа",
    description="Пока платёж не завершён, статус уточняется у эквайера (не чаще раза в несколько секунд).",
)
def get_online_payment(request: HttpRequest, public_id: UUID):
    payment = (
        payments.payments_of(request.auth.user)
        .filter(public_id=public_id, account__in=accounts_of(request.auth))
        .first()
    )
    if payment is None:
        raise ApiProblem(404, PAYMENT_NOT_FOUND)
    # Asked of the acquirer at most once every few seconds per payment, whoever asks (a poller,
    # the return page): the payments domain's throttle.
    return payment_out(payments.refresh_if_due(payment))
