"""Staff see API sign-ins and personal tokens in /admin/ (never their secrets, nor their
hashes) and can revoke them; they cannot make or edit one."""

from django.urls import reverse

from kabinet.identity.models import ApiSession, PersonalAccessToken
from tests.factories import access_token, api_token, bearer


def test_staff_revoke_a_token_and_a_sign_in(admin_client, client, customer, account):
    secret, session_token = api_token(customer), access_token(customer)
    token, session = PersonalAccessToken.objects.get(), ApiSession.objects.get()
    page = admin_client.get(reverse("admin:identity_personalaccesstoken_change", args=[token.pk]))
    assert page.status_code == 200 and token.token_hash not in page.content.decode()
    assert admin_client.get(reverse("admin:identity_personalaccesstoken_add")).status_code == 403

    admin_client.post(
        reverse("admin:identity_personalaccesstoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    admin_client.post(
        reverse("admin:identity_apisession_changelist"), {"action": "revoke", "_selected_action": [session.pk]}
    )
    assert client.get("/api/v1/profile", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/profile", headers=bearer(session_token)).status_code == 401
    session.refresh_from_db()
    assert session.revoked_reason == "admin"
