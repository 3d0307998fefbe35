"""Online payments in /admin/: listed with filters and search, never edited there."""

from decimal import Decimal

from kabinet.identity.models import User
from kabinet.payments.models import OnlinePayment
from tests.factories import admin_login


def test_the_admin_lists_payments_read_only(db, client, account, customer):
    OnlinePayment.objects.create(
        account=account, user=customer, amount=Decimal("10.00"), method="sbp", acquirer_id="a-1"
    )
    admin = User.objects.create_superuser(None, "Admin-pass-2026", email="admin@example.ru")
    admin_login(client, admin)
    listed = client.get("/admin/payments/onlinepayment/", {"q": "660100000001", "status__exact": "new"})
    assert listed.status_code == 200 and "660100000001" in listed.content.decode()
    assert client.get("/admin/payments/onlinepayment/", {"q": "a-1"}).context["cl"].result_count == 1
    assert client.get("/admin/payments/onlinepayment/add/").status_code == 403
    assert client.get("/admin/payments/refund/").status_code == 200
