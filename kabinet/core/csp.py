"""django-csp's middleware, with the policy of the settings built once per process.

django-csp builds the Content-Security-Policy header anew for every response: a deep copy of
the policy's parts (`dataclasses.asdict`) and `build_policy`, twice (the policy and its
report-only twin), about a tenth of a signed-in request's CPU (docs/performance.md, step 7).
Kabinet's policy names no nonce and only one page changes it (`_csp_update`, the payment
page), so for every other response the header is the same string: built once, and again when
the settings change. A response with a policy of its own, or a request that asked for a nonce,
goes through django-csp's own code."""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What a view or decorator sets on a response to change its policy (django-csp's names).
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
_SETTINGS = {"CONTENT_SECURITY_POLICY": HEADER, "CONTENT_SECURITY_POLICY_REPORT_ONLY": HEADER_REPORT_ONLY}


@cache
def _policy(report_only: bool) -> str:
    return build_policy(report_only=report_only)


@receiver(setting_changed)
def _settings_changed(setting: str, **_) -> None:
    if setting in _SETTINGS:
        _policy.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        own = any(getattr(response, name, None) is not None for name in _OWN_POLICY)
        if own or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:  # django-csp leaves Django's debug pages be
            return response
        for setting, header in _SETTINGS.items():
            policy = _policy(header == HEADER_REPORT_ONLY)
            exempt = getattr(response, "_csp_exempt" if header == HEADER else "_csp_exempt_ro", False) is not False
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if policy and header not in response and not exempt and not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
