"""billing.bill_delivery: every change of how an account's bill is delivered is recorded for
billing, whoever makes it — the customer in the portal, or an operator in /admin/ deleting a
user, unlinking or moving an account, editing an e-mail or blocking a user — and only a bill
Kabinet actually e-mails is ever reported as «email» (formats/contacts-export.md)."""

from django.db import transaction
from django.urls import reverse
import pytest

from kabinet.billing import bill_delivery
from kabinet.billing.bill_jobs import subscribe
from kabinet.billing.models import BillDeliveryChange
from kabinet.identity.models import AccountLink, User
from tests.factories import admin_login, make_account, make_customer


def changes() -> list[tuple[str, str, str, str]]:
    return [(c.account.number, c.delivery, c.email, c.event) for c in BillDeliveryChange.objects.order_by("pk")]


@pytest.fixture
def boris(sverdlovsk) -> User:
    return make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="6"), email="boris@example.ru")


@pytest.fixture
def admin_client(client, db):
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    return client


def change_form_data(response) -> dict:
    """The user's change form in /admin/ as the browser would post it back unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data |= {management.add_prefix(name): management[name].value() for name in management.fields}
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled or (value := form[name].value()) is None:
                continue
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif hasattr(field.widget, "widgets"):  # split date and time
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else str(part)
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = value
    return data


def post_user_change(client, user: User, **changes) -> None:
    url = reverse("admin:identity_user_change", args=[user.pk])
    data = change_form_data(client.get(url)) | changes
    if changes.get("is_active") is False:
        del data["is_active"]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


# --- 1. Only the account's current holder's e-mail --------------------------------------------
def test_a_former_holders_new_email_is_not_sent_for_an_account_they_no_longer_hold(account, customer, boris):
    """A subscription left behind by data from before links moved cleanly: the account is now
    Boris's, so Anna's new e-mail is neither where Kabinet sends the bill nor billing's business."""
    subscribe(customer, account)
    AccountLink.objects.filter(account=account).update(user=boris)  # as old data has it: no signal
    with transaction.atomic():
        customer.email = "anna.new@example.ru"
        customer.save(update_fields=["email"])
        assert bill_delivery.email_changed(customer) == 0
    assert changes() == [("660100000001", "email", "anna@example.ru", "subscribed")]
