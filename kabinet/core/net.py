import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest) -> str:
    """The caller's address, trusting X-Forwarded-For only as far as our own proxies go."""
    hops = settings.KABINET_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (an address, not a bind)


def in_networks(address: str, networks: list[str]) -> bool:
    """`address` is one of `networks` (addresses or CIDR blocks, IPv4 or IPv6)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def return_path(request: HttpRequest, start: str) -> str:
    """Where to come back to after signing in. A GET is repeated; anything else (a POST-only
    action from an expired session) cannot be, and opening its URL after the login would only
    give a bare 405: go back to the page the form was on (a Referer on this site), else to
    the section's `start`."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        if parts.path.startswith("/"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return start
