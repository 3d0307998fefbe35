"""Start-up checks of the passkey settings (docs/second-factor.md): a browser creates and uses a
passkey only on the RP ID's domain or below it, so an origin outside it, or an IP address as
the RP ID, leaves every passkey button failing in front of the user instead of at start-up."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register


@register()
def passkey_settings(app_configs, **kwargs) -> list[Error]:
    rp_id = settings.OTP_WEBAUTHN_RP_ID
    errors = []
    try:
        ipaddress.ip_address(rp_id)
        errors.append(
            Error(f"KABINET_WEBAUTHN_RP_ID {rp_id!r} is an IP address: browsers refuse it.", id="kabinet.E101")
        )
    except ValueError:
        pass
    for origin in settings.OTP_WEBAUTHN_ALLOWED_ORIGINS:
        host = urlsplit(origin).hostname or ""
        if host != rp_id and not host.endswith("." + rp_id):
            errors.append(
                Error(
                    f"KABINET_WEBAUTHN_ORIGINS has {origin!r}, outside KABINET_WEBAUTHN_RP_ID {rp_id!r}.",
                    hint="An origin's host must be the RP ID or a subdomain of it.",
                    id="kabinet.E102",
                )
            )
    return errors
