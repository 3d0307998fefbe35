"""The audit log records logins, failures, locks, resets and profile changes, and never a
password or a code."""

import json

from django.test import Client
from django.urls import reverse

from kabinet.core.models import AuditEvent
from tests.factories import PASSWORD, make_account, redirected_to, registration_data

REGISTER, CONFIRM = reverse("portal:register"), reverse("portal:register_confirm")

A = AuditEvent.Action
NEW = "Novyi-parol-2026"


def login(client, identifier, password, region):
    return client.post(reverse("portal:login"), {"identifier": identifier, "password": password, "region": region.pk})


def test_a_customers_story_is_in_the_log(client, customer, sverdlovsk, outbox, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 3
    for _ in range(3):
        login(client, "+79120000001", "wrong-password", sverdlovsk)
    assert AuditEvent.objects.filter(action=A.LOCKED, identifier="+79120000001").exists()

    client.post(reverse("portal:recover"), {"contact": "+79120000001"})
    client.post(reverse("portal:recover_code"), {"code": outbox.last_code("+79120000001")})
    client.post(reverse("portal:set_password"), {"password": NEW, "password2": NEW})
    assert redirected_to(login(client, "+79120000001", NEW, sverdlovsk)) == reverse("portal:home")

    client.post(reverse("portal:names"), {"first_name": "Мария", "last_name": "Петрова"})
    client.post(reverse("portal:password"), {"old_password": NEW, "password": PASSWORD, "password2": PASSWORD})
    make_account(sverdlovsk, "660100000077", house="7б")
    client.post(
        reverse("portal:add_account"), {"account_number": "660100000077", "house": "7б", "region": sverdlovsk.pk}
    )
    link = customer.account_links.get(account__number="660100000077")
    client.post(reverse("portal:remove_account", args=[link.pk]))
    client.post(reverse("portal:email"), {"email": "maria@example.ru"})
    client.post(reverse("portal:logout"))

    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    for action in [A.LOGIN_FAILED, A.LOCKED, A.CODE_SENT, A.PASSWORD_RESET, A.LOGIN, A.PROFILE_CHANGED,
                   A.PASSWORD_CHANGED, A.ACCOUNT_ADDED, A.ACCOUNT_REMOVED, A.EMAIL_CHANGED, A.LOGOUT]:  # fmt: skip
        assert action in actions, action
    assert actions.index(A.LOCKED) < actions.index(A.PASSWORD_RESET) < actions.index(A.LOGIN)
    assert actions[-1] == A.LOGOUT
    events = AuditEvent.objects.filter(user=customer)
    assert events.exclude(ip=None).exists()
    assert_no_secrets(outbox)


def test_registration_and_wrong_codes_are_logged(client, account, outbox):
    client.post(REGISTER, registration_data(account.region))
    right = outbox.last_code("+79121112233")
    client.post(CONFIRM, {"code": "000000" if right != "000000" else "111111"})
    client.post(CONFIRM, {"code": right})
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {A.CODE_SENT, A.CODE_FAILED, A.REGISTERED, A.LOGIN} <= actions
    assert_no_secrets(outbox)


def test_admin_logins_are_logged(db):
    from kabinet.identity.models import User

    User.objects.create_superuser("+79990000000", PASSWORD)
    client = Client()
    client.post(reverse("admin:login"), {"username": "+79990000000", "password": "nope"})
    client.post(reverse("admin:login"), {"username": "+79990000000", "password": PASSWORD})
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "details__site")) == [
        (A.LOGIN_FAILED, "admin"),
        (A.LOGIN, "admin"),
    ]


def assert_no_secrets(outbox):
    dump = json.dumps(list(AuditEvent.objects.values("identifier", "details")), ensure_ascii=False)
    for secret in [PASSWORD, NEW, "wrong-password", *(m["text"][-40:] for m in outbox.messages())]:
        assert secret not in dump
    for message in outbox.messages():
        code = outbox.last_code(message["to"])
        assert code not in dump
