"""django-otp-webauthn's helper with Kabinet's names for a person and two guards of its own
(settings.OTP_WEBAUTHN_HELPER_CLASS):

- A challenge is good for OTP_WEBAUTHN_TIMEOUT_SECONDS after it was given (the browser's
  timeout is only advice to the browser); the state kept in the session says when.
- At sign-in the credential's row is locked before the plugin reads its sign count and saves
  the new one, so two answers at once are checked one after the other (a cloned key's replay
  with the same count is then refused) — the plugin reads and saves without a lock.
"""

import time

from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException


class ChallengeExpired(WebAuthnException):
    """The answer came after OTP_WEBAUTHN_TIMEOUT_SECONDS, or to a state without a time."""


class KabinetWebAuthnHelper(WebAuthnHelper):
    """The authenticator shows these when asking which key to use. The username is the phone,
    which an employee may lack (py_webauthn refuses an empty name): then the e-mail."""

    def get_credential_name(self, user) -> str:
        return user.phone or user.email or f"user-{user.pk}"

    def get_credential_display_name(self, user) -> str:
        return user.get_full_name() or self.get_credential_name(user)

    def get_registration_state(self, creation_options: dict) -> dict:
        return super().get_registration_state(creation_options) | {"issued_at": time.time()}

    def get_authentication_state(self, options: dict) -> dict:
        return super().get_authentication_state(options) | {"issued_at": time.time()}

    def register_complete(self, user, state: dict, data: dict):
        _fresh(state)
        return super().register_complete(user, state, data)

    def authenticate_complete(self, user, state: dict, data: dict):
        """Inside the caller's transaction (second_factor.counted), which holds the lock."""
        _fresh(state)
        raw_id = parse_authentication_credential_json(data).raw_id
        sha256 = WebAuthnCredential.get_credential_id_sha256(raw_id)
        WebAuthnCredential.objects.select_for_update().filter(credential_id_sha256=sha256).first()
        return super().authenticate_complete(user, state, data)


def _fresh(state: dict) -> None:
    issued_at = state.get("issued_at")
    if not isinstance(issued_at, int | float) or time.time() - issued_at > app_settings.OTP_WEBAUTHN_TIMEOUT_SECONDS:
        raise ChallengeExpired("the challenge has expired")
