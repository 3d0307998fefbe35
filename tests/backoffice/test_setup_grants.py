"""After an administrator deleted an employee's second factor, the password alone sets no new
one up (an attacker who knows it would enrol their own phone or key): the employee needs the
one-time code an administrator issues in /admin/ (identity.setup_grants)."""

from datetime import timedelta
import hashlib
import html
import re

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
import pyotp
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor, setup_grants
from kabinet.identity.models import SetupGrant, User
from tests.factories import (
    PASSWORD,
    SoftPasskey,
    admin_login,
    give_second_factor,
    make_customer,
    make_staff,
    recovery_code,
    redirected_to,
)

LOGIN = reverse("backoffice:login")
QUEUE = reverse("backoffice:queue")
SETUP = reverse("backoffice:second_factor_setup")
GRANT = reverse("backoffice:second_factor_grant")
Action = AuditEvent.Action


def sign_in(client):
    client.post(LOGIN, {"identifier": "operator@example.ru", "password": PASSWORD})
    return client


def issue_in_admin(admin_client, user) -> str:
    """The administrator's action on the users' list; the page shows the code once."""
    data = {"action": "issue_setup_grant", "_selected_action": [user.pk]}
    page = admin_client.post(reverse("admin:identity_user_changelist"), data).content.decode()
    return html.unescape(re.search(r"<code>([A-Z0-9-]+)</code>", page).group(1))


def shown_secret(page: str) -> str:
    return html.unescape(re.search(r'id="totp-secret" value="([^"]+)"', page).group(1)).replace(" ", "")


@pytest.fixture
def admin_client(customer):
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    admin_login(client, User.objects.get(pk=customer.pk))
    return client


@pytest.fixture
def deleted(admin_client, operator):
    """The employee lost the phone; the administrator deleted the app in /admin/."""
    device = give_second_factor(operator.user)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    return operator.user


def test_after_a_deletion_the_password_alone_sets_nothing_up(client, deleted):
    sign_in(client)
    page = client.get(SETUP).content.decode()
    assert "Код от администратора" in page and "totp-secret" not in page and "Добавить ключ доступа" not in page

    pending = second_factor.start_setup(deleted)
    code = pyotp.TOTP(pending.secret.replace(" ", "")).now()
    assert client.post(SETUP, {"code": code}).status_code == 400
    assert client.post(reverse("backoffice:passkey_options")).status_code == 403
    assert not second_factor.is_on(deleted)
    assert redirected_to(client.get(QUEUE)).startswith(SETUP)


def test_the_administrators_code_opens_the_setup_once(client, admin_client, deleted):
    code = issue_in_admin(admin_client, deleted)
    assert AuditEvent.objects.filter(action=Action.SETUP_GRANT_ISSUED, user=deleted).exists()
    sign_in(client)
    response = client.post(GRANT, {"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 400 and "Неверный или просроченный код" in response.content.decode()
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED, user=deleted).count() == 1

    assert redirected_to(client.post(GRANT, {"code": code.lower()})).startswith(SETUP)
    app = pyotp.TOTP(shown_secret(client.get(SETUP).content.decode()))
    assert client.post(SETUP, {"code": app.now()}).status_code == 200
    assert second_factor.is_on(deleted) and not SetupGrant.objects.filter(user=deleted).exists()
    assert AuditEvent.objects.filter(action=Action.SETUP_GRANT_USED, user=deleted).exists()
    assert client.get(QUEUE).status_code == 200


def test_the_code_also_opens_a_passkey_setup(client, admin_client, deleted):
    code = issue_in_admin(admin_client, deleted)
    sign_in(client).post(GRANT, {"code": code})
    options = client.post(reverse("backoffice:passkey_options")).json()
    response = client.post(
        reverse("backoffice:passkey_add"), {"name": "Ключ", "credential": SoftPasskey().create(options)}
    )
    assert response.status_code == 200
    assert second_factor.passkeys(deleted).exists() and not SetupGrant.objects.filter(user=deleted).exists()


def test_an_expired_or_replaced_code_opens_nothing(client, admin_client, deleted):
    old = issue_in_admin(admin_client, deleted)
    sign_in(client).post(GRANT, {"code": old})
    issue_in_admin(admin_client, deleted)  # a new code voids what the old one opened
    assert "Код от администратора" in client.get(SETUP).content.decode()
    assert client.post(GRANT, {"code": old}).status_code == 400

    code = issue_in_admin(admin_client, deleted)
    SetupGrant.objects.filter(user=deleted).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(GRANT, {"code": code}).status_code == 400


def test_a_first_setup_or_deleted_recovery_codes_need_no_code(client, admin_client, operator):
    recovery_code(operator.user)  # the app and recovery codes
    static = operator.user.staticdevice_set.get()
    url = reverse("admin:otp_static_staticdevice_delete", args=[static.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not operator.user.staticdevice_set.exists()
    assert not SetupGrant.objects.exists()  # the app is still there
    TOTPDevice.objects.filter(user=operator.user).delete()  # never deleted by an administrator
    sign_in(client)
    assert "totp-secret" in client.get(SETUP).content.decode()


def test_the_admin_site_shows_waiting_employees_and_no_code(admin_client, deleted):
    issue_in_admin(admin_client, deleted)
    grant = SetupGrant.objects.get(user=deleted)
    page = admin_client.get(reverse("admin:identity_setupgrant_change", args=[grant.pk])).content.decode()
    assert grant.code_hash not in page
    assert (
        admin_client.post(reverse("admin:identity_setupgrant_delete", args=[grant.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SetupGrant.objects.filter(pk=grant.pk).exists()


def test_no_app_secret_pending_before_the_deletion_or_the_code_survives(client, admin_client, operator):
    """A secret shown to someone before (or to the password alone) must not be the one the
    employee confirms after the administrator's code."""
    device = give_second_factor(operator.user)
    second_factor.start_setup(operator.user)  # pending, seen by an earlier session
    admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.filter(user=operator.user).exists()

    sign_in(client).get(SETUP)  # the locked page makes no secret
    assert not TOTPDevice.objects.filter(user=operator.user).exists()
    stale = second_factor.start_setup(operator.user).secret.replace(" ", "")
    client.post(GRANT, {"code": issue_in_admin(admin_client, operator.user)})
    assert shown_secret(client.get(SETUP).content.decode()) != stale


def test_a_code_issued_before_a_new_deletion_opens_nothing(client, admin_client, deleted):
    old = issue_in_admin(admin_client, deleted)
    device = give_second_factor(deleted)  # set up some other way; then lost again
    admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert sign_in(client).post(GRANT, {"code": old}).status_code == 400
    assert "totp-secret" not in client.get(SETUP).content.decode()


def test_only_a_superuser_issues_codes(deleted, sverdlovsk):
    """Staff who may only view the users' list must not hand themselves another's setup."""
    viewer = make_staff("viewer@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk).user
    User.objects.filter(pk=viewer.pk).update(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = Client()
    admin_login(client, User.objects.get(pk=viewer.pk))
    changelist = reverse("admin:identity_user_changelist")
    assert "issue_setup_grant" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "issue_setup_grant", "_selected_action": [deleted.pk]})
    assert not AuditEvent.objects.filter(action=Action.SETUP_GRANT_ISSUED).exists()
    assert not SetupGrant.objects.get(user=deleted).code_hash


def test_no_code_for_oneself_or_an_employee_with_a_factor(admin_client, customer, operator):
    User.objects.filter(pk=customer.pk).update(first_name="Админ")
    give_second_factor(operator.user)
    someone = make_customer("+79120000005")
    data = {"action": "issue_setup_grant", "_selected_action": [customer.pk, operator.user.pk, someone.pk]}
    page = admin_client.post(reverse("admin:identity_user_changelist"), data).content.decode()
    assert "<code>" not in page and "Пропущено клиентов: 1 — им код не нужен." in page
    assert "Себе код выдать нельзя" in page and "Пропущено сотрудников со вторым фактором: 1" in page
    assert not SetupGrant.objects.exists() and not AuditEvent.objects.filter(action=Action.SETUP_GRANT_ISSUED).exists()


def test_the_issue_names_the_administrator(admin_client, customer, deleted):
    issue_in_admin(admin_client, deleted)
    issued = AuditEvent.objects.get(action=Action.SETUP_GRANT_ISSUED, user=deleted)
    assert issued.details["admin"] == customer.pk and issued.details["admin_name"] == customer.get_username()


def test_a_code_is_good_once_and_kept_keyed(client, admin_client, deleted):
    code = issue_in_admin(admin_client, deleted)
    plain = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert SetupGrant.objects.get(user=deleted).code_hash not in ("", plain)
    assert redirected_to(sign_in(client).post(GRANT, {"code": code})).startswith(SETUP)

    other = sign_in(Client())  # whoever heard the code too
    assert other.post(GRANT, {"code": code}).status_code == 400
    refused = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED, user=deleted)
    assert refused.details == {"method": "setup_grant", "reason": "already_used"}
    assert "totp-secret" not in other.get(SETUP).content.decode()
    assert "totp-secret" in client.get(SETUP).content.decode()


def test_a_new_employee_made_in_the_admin_waits_for_a_code(client, admin_client, customer, sverdlovsk):
    user = make_customer("+79120000005", email="new@example.ru")
    data = {"user": user.pk, "role": StaffRole.Role.OPERATOR, "regions": [sverdlovsk.pk]}
    assert admin_client.post(reverse("admin:appeals_staffrole_add"), data).status_code == 302
    assert setup_grants.is_locked(user)
    client.post(LOGIN, {"identifier": "new@example.ru", "password": PASSWORD})
    page = client.get(SETUP).content.decode()
    assert "Код от администратора" in page and "totp-secret" not in page

    flagged = make_customer("+79120000006")
    change = admin_client.get(reverse("admin:identity_user_change", args=[flagged.pk]))
    form = change.context["adminform"].form
    fields = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    joined = timezone.localtime(flagged.date_joined)
    fields |= {"date_joined_0": f"{joined:%Y-%m-%d}", "date_joined_1": f"{joined:%H:%M:%S}", "is_staff": "on"}
    fields |= {"groups": [], "user_permissions": []}
    for inline in change.context["inline_admin_formsets"]:  # none added: their management forms
        fields |= {f"{inline.formset.prefix}-{name}": 0 for name in ["TOTAL_FORMS", "INITIAL_FORMS"]}
    response = admin_client.post(reverse("admin:identity_user_change", args=[flagged.pk]), fields)
    assert response.status_code == 302
    assert setup_grants.is_locked(flagged)
