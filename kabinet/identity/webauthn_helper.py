"""django-otp-webauthn's helper with Kabinet's names for a person (settings.OTP_WEBAUTHN_HELPER_CLASS)."""

from django_otp_webauthn.helpers import WebAuthnHelper


class KabinetWebAuthnHelper(WebAuthnHelper):
    """The authenticator shows these when asking which key to use. The username is the phone,
    which an employee may lack (py_webauthn refuses an empty name): then the e-mail."""

    def get_credential_name(self, user) -> str:
        return user.phone or user.email or f"user-{user.pk}"

    def get_credential_display_name(self, user) -> str:
        return user.get_full_name() or self.get_credential_name(user)
