"""Checks of the passkey settings (docs/second-factor.md), run by `manage.py check` (and so by
runserver, migrate, and `check --deploy` in the release steps): a browser creates and uses a
passkey only on the RP ID's domain or below it, so an origin outside it, or an IP address as
the RP ID, leaves every passkey button failing in front of the user instead of in the check.
`check --deploy` (DEBUG off) also refuses what only development may have: no origins, a plain
http origin on a real host, or `localhost` as the RP ID of a site served on public host names
(the settings' default left in place). deploy/local-cluster.sh serves on loopback only, so its
`localhost` passes."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


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


_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@register(Tags.security, deploy=True)
def passkey_deploy_settings(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    origins = settings.OTP_WEBAUTHN_ALLOWED_ORIGINS
    errors = []
    if not origins:
        errors.append(Error("KABINET_WEBAUTHN_ORIGINS is empty: no passkey would ever be accepted.", id="kabinet.E103"))
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme != "https" and parts.hostname not in _LOOPBACK:
            errors.append(
                Error(f"KABINET_WEBAUTHN_ORIGINS has {origin!r}: only https outside loopback.", id="kabinet.E104")
            )
    public = [host for host in settings.ALLOWED_HOSTS if host.strip("[]") not in _LOOPBACK]
    if settings.OTP_WEBAUTHN_RP_ID == "localhost" and public:
        errors.append(
            Error(
                f"KABINET_WEBAUTHN_RP_ID is 'localhost' while the site is served as {', '.join(public)}.",
                hint="Set KABINET_WEBAUTHN_RP_ID to the site's domain, KABINET_WEBAUTHN_ORIGINS to its https origin.",
                id="kabinet.E105",
            )
        )
    return errors
