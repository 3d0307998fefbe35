"""Schemathesis against the API's own schema, served by the running app (WSGI, the test
database): for every operation, generated requests — valid and invalid — with a customer's
access token get no 5xx, every answer matches the schema (status, content type, headers, body),
and requests the schema forbids are refused. Not checked: that every request the schema allows
is accepted — the domain's rules go beyond a schema (an amount within the limits, an e-mail or a
phone for the receipt, a password that matches).

The path parameters are the customer's real objects, so the generated bodies reach the domain's
rules (readings' checks, the payment's amount) rather than stopping at a 404; the isolation
tests (test_isolation.py) cover other people's ids."""

from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
import pytest
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kabinet.billing.models import Accrual
from kabinet.identity import api_tokens
from tests.factories import (
    access_token,
    add_reading,
    electricity,
    make_account,
    make_appeal,
    make_billed,
    make_customer,
    make_meter,
    make_online_payment,
)

EXAMPLES = 25  # per operation: the whole walk stays under a minute


@pytest.fixture
def customer_world(db, settings, sverdlovsk, reason):
    settings.DEBUG, settings.KABINET_YOOKASSA_SHOP_ID = True, ""  # online payment through the demo acquirer
    settings.KABINET_API_RATE = 100_000  # generated traffic is no abuse
    sverdlovsk.readings_from_day, sverdlovsk.readings_to_day = 1, 31
    sverdlovsk.save()
    account = make_account(sverdlovsk, "660100000031")
    customer = make_customer("+79120000031", account, email="anna@example.ru")
    make_billed(account)
    meter = make_meter(account)
    add_reading(meter, timezone.localdate().replace(day=1) - timedelta(days=40), 1000)
    Accrual.objects.create(account=account, period=timezone.localdate().replace(day=1), service=electricity(),
                           volume=Decimal("100"), tariff=Decimal("5.82"), amount=Decimal("582.00"))  # fmt: skip
    payment = make_online_payment(account, "100.00", status="pending", user=customer)
    token = api_tokens.create_personal_token(customer, "Датчик", [account.pk], False, "30").token
    appeal = make_appeal(customer, account, reason)
    objects = {"account_id": account.pk, "meter_id": meter.pk, "public_id": str(payment.public_id),
               "token_id": token.pk, "number": appeal.number,
               "attachment_id": appeal.attachments.get().pk}  # fmt: skip
    # As Django's test client does: the app's requests must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield customer, objects
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema as the app serves it at /api/v1/openapi.json.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


# derandomize: the same examples on every run, with or without the CI variable. Without it a run
# outside CI draws a fresh seed (Schemathesis's, which even --hypothesis-seed does not override),
# so a rare input fails at random and is gone on the rerun; in CI Hypothesis's `ci` profile
# derandomizes already, to the very same examples, so a CI failure reproduces locally with the
# same command. No example database: CI starts without one and derandomize ignores it. To explore
# further, raise EXAMPLES or drop derandomize locally, and pin what you find as a plain test (as
# test_appeals.py's text in place of a file).
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_by_its_schema(case, customer_world):
    customer, objects = customer_world
    cache.clear()  # sign-in attempts and rate counters start afresh for every example
    if case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
        case.path_parameters = {name: objects.get(name, value) for name, value in case.path_parameters.items()}
    # A fresh token each time: an example may sign out or revoke what the previous one used. A
    # case with mutated headers goes without one (it may be the token Schemathesis took away).
    negative_headers = case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = {} if negative_headers else {"Authorization": f"Bearer {access_token(customer)}"}
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
