"""The passkey settings are checked at start-up: an IP address as the RP ID, or an origin
outside it, would leave every passkey button failing in the user's browser instead."""

from kabinet.identity.checks import passkey_deploy_settings, passkey_settings


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_defaults_and_a_production_domain_pass(settings):
    assert passkey_settings(None) == []
    settings.OTP_WEBAUTHN_RP_ID = "example.ru"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://lk.example.ru", "https://example.ru"]
    assert passkey_settings(None) == []


def test_an_address_or_an_origin_outside_the_domain_is_an_error(settings):
    settings.OTP_WEBAUTHN_RP_ID = "127.0.0.1"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://127.0.0.1:8000"]
    assert ids(passkey_settings(None)) == ["kabinet.E101"]
    settings.OTP_WEBAUTHN_RP_ID = "lk.example.ru"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://example.ru", "https://evil-lk.example.ru.com"]
    assert ids(passkey_settings(None)) == ["kabinet.E102", "kabinet.E102"]


def test_production_refuses_development_values(settings):
    """DEBUG off: no origins, plain http on a real host, or the default `localhost` RP ID on a
    publicly served site."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["lk.example.ru"]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = []
    assert ids(passkey_deploy_settings(None)) == ["kabinet.E103", "kabinet.E105"]
    settings.OTP_WEBAUTHN_RP_ID = "lk.example.ru"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://lk.example.ru", "https://lk.example.ru"]
    assert ids(passkey_deploy_settings(None)) == ["kabinet.E104"]
    settings.DEBUG = True
    assert passkey_deploy_settings(None) == []


def test_production_values_and_the_loopback_cluster_pass(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["lk.example.ru"]
    settings.OTP_WEBAUTHN_RP_ID = "lk.example.ru"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://lk.example.ru"]
    assert passkey_deploy_settings(None) == []
    # deploy/local-cluster.sh: DEBUG off, served on loopback only
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://localhost:8443"]
    assert passkey_deploy_settings(None) == []
