"""No token reaches what it should not, for every operation of the API — walked from the OpenAPI
schema, not from a list, so a new endpoint is covered the day it is added:

- customer A's token on customer B's objects (their account, meter, bill, payment…) gets 404;
- a read-only personal token never writes: every operation but GET answers 403;
- a personal token scoped to one of A's accounts gets 404 on A's other account.

A path parameter the test cannot fill makes it fail: add it to `objects()`."""

from datetime import timedelta
from decimal import Decimal
import re

from django.utils import timezone
import pytest

from kabinet.api.api import api
from kabinet.appeals.models import Appeal, Attachment, Message
from kabinet.billing.models import Accrual
from kabinet.identity import api_tokens
from kabinet.identity.models import PersonalAccessToken
from kabinet.payments.models import OnlinePayment
from kabinet.readings.models import Reading
from tests.factories import (
    access_token,
    add_reading,
    api_token,
    bearer,
    electricity,
    make_account,
    make_appeal,
    make_customer,
    make_meter,
    make_online_payment,
)

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
COMPONENTS = SCHEMA["components"]["schemas"]
# Any token may revoke itself: a leaked read-only token can be killed by whoever holds it, and
# nothing else changes (tests/api/test_foundation.py checks the sign-out).
SELF_REVOKING = {("post", "/api/v1/auth/logout")}


def operations(*, writes_only: bool = False) -> list[tuple[str, str, dict]]:
    found = [
        (method, path, operation)
        for path, methods in SCHEMA["paths"].items()
        for method, operation in methods.items()
        if operation.get("security")  # the sign-in and refresh take no token
    ]
    return [op for op in found if not writes_only or op[0] != "get"]


def op_id(op) -> str:
    return f"{op[0].upper()} {op[1]}"


def example(schema: dict):
    """A value the schema accepts, from its examples and defaults where it has them."""
    if "$ref" in schema:
        return example(COMPONENTS[schema["$ref"].rsplit("/", 1)[1]])
    for key in ("examples", "example", "default"):
        if key in schema:
            return schema[key][0] if key == "examples" else schema[key]
    if "anyOf" in schema:
        return example(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    kind = schema.get("type")
    if kind == "object":
        return {name: example(schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema["items"])]
    return {"string": "1", "integer": 1, "number": 1, "boolean": False}.get(kind)


def request(client, method: str, path: str, operation: dict, params: dict, token: str):
    url = re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)
    content = operation.get("requestBody", {}).get("content", {})
    send = getattr(client, method)
    if body := content.get("application/json"):
        return send(url, example(body["schema"]), headers=bearer(token), content_type="application/json")
    if form := content.get("multipart/form-data"):  # the test client's default encoding
        return send(url, example(form["schema"]), headers=bearer(token))
    return send(url, headers=bearer(token))


def objects(customer, account, reason) -> dict:
    """Path parameter → an object of `customer` under `account`."""
    meter = make_meter(account, serial=f"M{account.pk}")
    add_reading(meter, timezone.localdate().replace(day=1) - timedelta(days=40), 1000)
    period = timezone.localdate().replace(day=1)
    Accrual.objects.create(account=account, period=period, service=electricity(), volume=Decimal("100"),
                           tariff=Decimal("5.82"), amount=Decimal("582.00"))  # fmt: skip
    payment = make_online_payment(account, "100.00", status="pending", user=customer)
    appeal = make_appeal(customer, account, reason)
    token = api_tokens.create_personal_token(customer, f"Датчик {account.number}", [account.pk], False, "30").token
    return {
        "token_id": token.pk,
        "account_id": account.pk,
        "meter_id": meter.pk,
        "period": f"{period:%Y-%m}",
        "public_id": payment.public_id,
        "number": appeal.number,
        "attachment_id": appeal.attachments.get().pk,
    }


@pytest.fixture
def world(sverdlovsk, settings, reason):
    settings.DEBUG, settings.KABINET_YOOKASSA_SHOP_ID = True, ""  # online payment on (demo acquirer)
    sverdlovsk.readings_from_day, sverdlovsk.readings_to_day = 1, 31
    sverdlovsk.save()
    a_first = make_account(sverdlovsk, "660100000011")
    a_second = make_account(sverdlovsk, "660100000012", flat="6")
    b_account = make_account(sverdlovsk, "660100000021", flat="7")
    a = make_customer("+79120000011", a_first)
    a.account_links.create(account=a_second)
    b = make_customer("+79120000021", b_account)
    return {
        "a": a,
        "a_first": objects(a, a_first, reason),
        "a_second": objects(a, a_second, reason),
        "b": objects(b, b_account, reason),
        "b_account": b_account,
    }


def fill(operation: dict, values: dict) -> dict:
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    missing = [name for name in names if name not in values]
    assert not missing, f"add {missing} to objects() so the isolation walk covers them"
    return values


def untouched(account) -> tuple:
    return (
        Reading.objects.filter(meter__account=account).count(),
        OnlinePayment.objects.filter(account=account).count(),
        PersonalAccessToken.objects.filter(accounts=account, revoked_at__isnull=True).count(),
        Appeal.objects.filter(account=account).count(),
        Message.objects.filter(appeal__account=account).count(),
        Attachment.objects.filter(appeal__account=account).count(),
    )


def test_the_walk_sees_the_resources():
    seen = {op_id(op) for op in operations()}
    assert "GET /api/v1/accounts/{account_id}" in seen and "POST /api/v1/meters/{meter_id}/readings" in seen
    assert "POST /api/v1/accounts/{account_id}/payments/online" in seen
    assert "POST /api/v1/appeals/{number}/messages" in seen
    assert "GET /api/v1/appeals/{number}/files/{attachment_id}" in seen


@pytest.mark.parametrize("op", operations(), ids=op_id)
def test_another_customers_objects_are_not_found(client, world, op):
    method, path, operation = op
    before = untouched(world["b_account"])
    response = request(client, method, path, operation, fill(operation, world["b"]), access_token(world["a"]))
    if "{" in path:
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == "application/problem+json"
    else:  # the principal's own collection: nothing of B's in it
        assert response.status_code < 500
        assert world["b_account"].number.encode() not in response.content
    assert untouched(world["b_account"]) == before


@pytest.mark.parametrize("op", operations(writes_only=True), ids=op_id)
def test_a_read_only_token_never_writes(client, world, op):
    method, path, operation = op
    if (method, path) in SELF_REVOKING:
        pytest.skip("any token may revoke itself")
    token = api_token(world["a"], write=False)
    own = world["a_first"]
    before = untouched(world["a"].account_links.first().account)
    response = request(client, method, path, operation, fill(operation, own), token)
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert untouched(world["a"].account_links.first().account) == before


@pytest.mark.parametrize("op", [op for op in operations() if "{" in op[1]], ids=op_id)
def test_a_token_scoped_to_one_account_never_reaches_the_other(client, world, op):
    method, path, operation = op
    first = world["a"].account_links.get(account__number="660100000011").account
    token = api_token(world["a"], first, write=True)
    response = request(client, method, path, operation, fill(operation, world["a_second"]), token)
    # Operations for a sign-in's access token only (online payment) refuse any personal token.
    expected = 403 if operation["security"] == [{"AccessTokenAuth": []}] else 404
    assert response.status_code == expected, response.content
