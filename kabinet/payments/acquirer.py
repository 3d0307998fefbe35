"""The acquirer's API: ЮKassa v3 over HTTP (`YooKassa`), or the in-process demo
(`payments.demo.DemoAcquirer`, DEBUG only). Both take and return ЮKassa's JSON shapes.

Plain urllib rather than the official `yookassa` SDK: the SDK passes no timeout to its HTTP
calls (a hung connection holds the customer's request for ever) and its retry covers only
HTTP 202 answers (docs/dependencies.md)."""

import base64
import http.client
import json
import logging
import time
from typing import Protocol
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.conf import settings

from kabinet.payments.errors import AcquirerNotFound, AcquirerRejected, AcquirerUnavailable

logger = logging.getLogger(__name__)


class Acquirer(Protocol):
    def create_payment(self, body: dict, idempotence_key: str) -> dict: ...
    def get_payment(self, acquirer_id: str) -> dict: ...
    def create_refund(self, body: dict, idempotence_key: str) -> dict: ...
    def get_refund(self, acquirer_id: str) -> dict: ...


class _Retry(Exception):
    """A failure that the same request may not meet again: timeout, 5xx, 202, no connection."""


class YooKassa:
    """ЮKassa API v3: Basic auth with the shop id and secret key; every POST carries an
    Idempotence-Key, and a retry sends the same one, so a request that reached ЮKassa but
    whose answer was lost creates nothing twice."""

    def __init__(self, shop_id: str, secret_key: str, base_url: str, timeout: float, pauses=(0.2, 0.5)):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.pauses = pauses  # between attempts: len(pauses) + 1 attempts in all
        token = base64.b64encode(f"{shop_id}:{secret_key}".encode()).decode()
        self.authorization = f"Basic {token}"

    def create_payment(self, body: dict, idempotence_key: str) -> dict:
        return self._call("POST", "/payments", body, idempotence_key)

    def get_payment(self, acquirer_id: str) -> dict:
        return self._call("GET", f"/payments/{quote(acquirer_id, safe='')}")

    def create_refund(self, body: dict, idempotence_key: str) -> dict:
        return self._call("POST", "/refunds", body, idempotence_key)

    def get_refund(self, acquirer_id: str) -> dict:
        return self._call("GET", f"/refunds/{quote(acquirer_id, safe='')}")

    def _call(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> dict:
        for pause in (*self.pauses, None):
            try:
                return self._once(method, path, body, key)
            except _Retry as exc:
                logger.warning("ЮKassa %s %s: %s%s", method, path, exc, "" if pause is None else ", retrying")
                if pause is None:
                    raise AcquirerUnavailable(detail=str(exc)) from exc
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, body: dict | None, key: str | None) -> dict:
        headers = {"Authorization": self.authorization, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotence-Key"] = key
        request = Request(self.base_url + path, data=data, headers=headers, method=method)  # noqa: S310 (https URL from settings)
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except HTTPError as exc:
            _raise_for(exc.code, _body_of(exc))
        # Whatever breaks the exchange, while sending or while reading the answer (a cut-off
        # body, TLS, a reset): the request may or may not have reached ЮKassa; the same key
        # makes asking again safe. OSError covers URLError, timeouts, ssl.SSLError.
        except (OSError, http.client.HTTPException) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        if status == 202:  # «the request is being processed»: ЮKassa asks for the same request again
            raise _Retry("HTTP 202, still processing")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise _Retry(f"HTTP {status}, not JSON") from exc


def _body_of(error: HTTPError) -> bytes:
    try:
        return error.read()
    except (OSError, http.client.HTTPException):  # the error's body cut off: its status says enough
        return b""


def _raise_for(status: int, raw: bytes):
    if status >= 500 or status == 429:
        raise _Retry(f"HTTP {status}")
    try:
        error = json.loads(raw)
    except ValueError:
        error = {}
    error = error if isinstance(error, dict) else {}
    kind = AcquirerNotFound if status == 404 else AcquirerRejected
    raise kind(status, str(error.get("code", "")), str(error.get("description", "")))


def yookassa_configured() -> bool:
    return bool(settings.KABINET_YOOKASSA_SHOP_ID and settings.KABINET_YOOKASSA_SECRET_KEY)


def demo_enabled() -> bool:
    """The demo acquirer stands in only in a demo (DEBUG) with no ЮKassa shop configured."""
    return settings.DEBUG and not yookassa_configured()


def get_acquirer() -> Acquirer:
    if yookassa_configured():
        return YooKassa(
            settings.KABINET_YOOKASSA_SHOP_ID,
            settings.KABINET_YOOKASSA_SECRET_KEY,
            settings.KABINET_YOOKASSA_API_URL,
            settings.KABINET_YOOKASSA_TIMEOUT,
        )
    if demo_enabled():
        from kabinet.payments.demo import DemoAcquirer  # the demo's model, only when it runs

        return DemoAcquirer()
    raise AcquirerUnavailable(detail="no acquirer configured")
