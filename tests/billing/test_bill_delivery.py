"""billing.bill_delivery: every change of how an account's bill is delivered is recorded for
billing, whoever makes it — the customer in the portal, or an operator in /admin/ deleting a
user, unlinking or moving an account, editing an e-mail or blocking a user — and only a bill
Kabinet actually e-mails is ever reported as «email» (formats/contacts-export.md)."""

from django.db import transaction
from django.urls import reverse
import pytest

from kabinet.billing import bill_delivery
from kabinet.billing.bill_jobs import subscribe
from kabinet.billing.models import BillDeliveryChange, BillSubscription
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


# --- 2. Changes made in /admin/ ---------------------------------------------------------------
def test_the_admin_refuses_to_delete_a_subscribed_user(admin_client, account, customer):
    """Subscriptions are read-only in the admin, so deleting their user there is refused."""
    subscribe(customer, account)
    response = admin_client.post(reverse("admin:identity_user_delete", args=[customer.pk]), {"post": "yes"})
    assert response.status_code == 403 and User.objects.filter(pk=customer.pk).exists()
    assert len(changes()) == 1


def test_deleting_a_subscribed_user_sends_the_bill_back_to_paper(account, customer):
    """In the shell, or wherever the admin would allow it: the subscription goes with the user."""
    subscribe(customer, account)
    customer.delete()
    assert changes()[1:] == [("660100000001", "paper", "", "account_removed")]


def test_deleting_a_user_who_never_subscribed_records_nothing(admin_client, account, customer):
    response = admin_client.post(reverse("admin:identity_user_delete", args=[customer.pk]), {"post": "yes"})
    assert response.status_code == 302 and not User.objects.filter(pk=customer.pk).exists()
    assert changes() == []


def test_unlinking_an_account_in_the_admin_ends_its_subscription(admin_client, account, customer):
    subscribe(customer, account)
    link = AccountLink.objects.get(account=account)
    post_user_change(admin_client, customer, **{"account_links-0-DELETE": "on"})
    assert not AccountLink.objects.filter(pk=link.pk).exists() and not BillSubscription.objects.exists()
    assert changes()[1:] == [("660100000001", "paper", "", "account_removed")]


def test_moving_a_link_to_another_account_ends_the_old_accounts_subscription(sverdlovsk, account, customer):
    subscribe(customer, account)
    link = AccountLink.objects.get(account=account)
    link.account = make_account(sverdlovsk, "660100000009", flat="9")
    link.save()
    assert not BillSubscription.objects.exists()
    assert changes()[1:] == [("660100000001", "paper", "", "account_removed")]


def test_handing_a_link_to_another_user_ends_the_subscription(account, customer, boris):
    subscribe(customer, account)
    link = AccountLink.objects.get(account=account)
    link.user = boris
    link.save()
    assert not BillSubscription.objects.exists()
    assert changes()[1:] == [("660100000001", "paper", "", "account_removed")]


def test_saving_a_link_unchanged_records_nothing(account, customer):
    subscribe(customer, account)
    AccountLink.objects.get(account=account).save()
    assert BillSubscription.objects.exists() and len(changes()) == 1


def test_an_email_edited_in_the_admin_is_where_the_bill_goes_now(admin_client, account, customer):
    subscribe(customer, account)
    post_user_change(admin_client, customer, email="anna.new@example.ru")
    assert changes()[1:] == [("660100000001", "email", "anna.new@example.ru", "email_changed")]


def test_saving_a_user_in_the_admin_without_changes_records_nothing(admin_client, account, customer):
    subscribe(customer, account)
    post_user_change(admin_client, customer)
    assert len(changes()) == 1


def test_blocking_a_subscribed_user_ends_their_subscriptions(admin_client, account, customer):
    """Kabinet e-mails no bill to a blocked user: the subscription ends (paper), and unblocking
    does not bring it back — the customer turns «Электронная квитанция» on again."""
    subscribe(customer, account)
    post_user_change(admin_client, customer, is_active=False)
    assert not BillSubscription.objects.exists()
    assert changes()[1:] == [("660100000001", "paper", "", "user_blocked")]
    post_user_change(admin_client, customer, is_active="on")
    assert len(changes()) == 2


def test_a_subscription_never_reported_is_not_reported_as_ending(account, customer, boris):
    """Billing was never told of a stale subscription (the seed skips it): it is on paper there
    already, so ending it writes no row."""
    BillSubscription.objects.create(account=account, user=boris)  # Anna holds the account
    assert bill_delivery.end_subscription(account) is True
    assert changes() == []
