"""A local HTTP server that speaks ЮKassa's API v3 (payments, refunds), for the payments tests:
Basic auth, Idempotence-Key (the same key returns the same object; with another body, 400),
scripted 5xx and slow answers, and operations that play the customer and ЮKassa's side."""

import base64
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading
import time
from urllib.request import Request, urlopen
import uuid

SHOP_ID, SECRET_KEY = "506751", "test_secret_key"


class FakeYooKassa:
    def __init__(self):
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.keys: dict[tuple[str, str], tuple[dict, dict]] = {}  # (path, key) → (body, object)
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Idempotence-Key)
        # Scripted answers, one per request, taken before the request is served:
        # ("status", 500) answers 500 without serving it; ("slow", seconds) serves it and then
        # sleeps before answering (the client times out, yet the object exists); ("truncated", 0)
        # serves it and cuts the answer's body off (the object exists, the client reads half).
        self.script: list[tuple[str, float]] = []
        # Autopayments: saved method id → the cancellation reason its next charge meets.
        self.declines: dict[str, str] = {}
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"api": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    # --- the API ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, key: str | None, body: dict | None) -> tuple[int, dict]:
        parts = path.removeprefix("/v3/").strip("/").split("/")
        if method == "POST" and parts == ["payments"]:
            return self._idempotent(path, key, body, self._new_payment)
        if method == "POST" and parts == ["refunds"]:
            return self._idempotent(path, key, body, self._new_refund)
        store = {"payments": self.payments, "refunds": self.refunds}.get(parts[0])
        if method == "GET" and store is not None and len(parts) == 2:
            obj = store.get(parts[1])
            return (200, obj) if obj else (404, _error("not_found", "Object not found"))
        return 404, _error("not_found", "Unknown path")

    def _idempotent(self, path, key, body, create) -> tuple[int, dict]:
        if not key:
            return 400, _error("invalid_request", "Idempotence-Key header required")
        with self.lock:
            if (path, key) in self.keys:
                first_body, obj = self.keys[(path, key)]
                if first_body != body:
                    return 400, _error("invalid_request", "Idempotence key duplicated with another request body")
                return 200, obj
            status, obj = create(body)
            if status == 200:
                self.keys[(path, key)] = (body, obj)
            return status, obj

    def _new_payment(self, body: dict) -> tuple[int, dict]:
        if not body.get("amount") or body["amount"].get("currency") != "RUB" or "receipt" not in body:
            return 400, _error("invalid_request", "amount and receipt required")
        if "payment_method_id" in body:
            return self._charge_saved(body)
        payment_id = str(uuid.uuid4())
        obj = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "payment_method": {"type": body["payment_method_data"]["type"], "id": payment_id, "saved": False},
            "confirmation": {
                "type": "redirect",
                "return_url": body["confirmation"]["return_url"],
                "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}",
            },
            "created_at": "2026-03-01T10:00:00.000Z",
            "test": True,
            "refundable": False,
            "recipient": {"account_id": SHOP_ID, "gateway_id": "1"},
        }
        self.payments[payment_id] = obj
        return 200, obj

    def _charge_saved(self, body: dict) -> tuple[int, dict]:
        """An autopayment: no confirmation; succeeded at once unless a decline is scripted."""
        method_id = body["payment_method_id"]
        saved = [
            p
            for p in self.payments.values()
            if p["payment_method"].get("saved") and p["payment_method"]["id"] == method_id
        ]
        if not saved or "confirmation" in body:
            return 400, _error("invalid_request", "Payment method is not saved")
        payment_id = str(uuid.uuid4())
        obj = {
            "id": payment_id,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "payment_method": dict(saved[0]["payment_method"]),
            "created_at": "2026-03-15T05:00:00.000Z",
            "test": True,
            "recipient": {"account_id": SHOP_ID, "gateway_id": "1"},
        }
        reason = self.declines.get(method_id)
        if reason:
            obj.update(status="canceled", paid=False, refundable=False,
                       cancellation_details={"party": "payment_network", "reason": reason})  # fmt: skip
        else:
            obj.update(status="succeeded", paid=True, refundable=True, captured_at="2026-03-15T05:00:01.000Z")
        self.payments[payment_id] = obj
        return 200, obj

    def charges_of(self, method_id: str) -> list[dict]:
        """The autopayments made with a saved method."""
        return [
            p for p in self.payments.values() if p["payment_method"].get("id") == method_id and p["id"] != method_id
        ]

    def _new_refund(self, body: dict) -> tuple[int, dict]:
        payment = self.payments.get(body.get("payment_id", ""))
        if payment is None or payment["status"] != "succeeded":
            return 400, _error("invalid_request", "Payment is not refundable")
        amount = Decimal(body["amount"]["value"])
        done = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        if done + amount > Decimal(payment["amount"]["value"]):
            return 400, _error("invalid_request", "Refund amount exceeds payment amount")
        payment["refunded_amount"] = {"value": f"{done + amount:.2f}", "currency": "RUB"}
        refund_id = str(uuid.uuid4())
        obj = {
            "id": refund_id,
            "payment_id": payment["id"],
            "status": "succeeded",
            "amount": body["amount"],
            "description": body.get("description", ""),
            "created_at": "2026-03-02T10:00:00.000Z",
        }
        self.refunds[refund_id] = obj
        return 200, obj

    # --- ЮKassa's and the customer's side -------------------------------------------------------
    def succeed(self, payment_id: str) -> dict:
        payment = self.payments[payment_id]
        payment.update(status="succeeded", paid=True, refundable=True, captured_at="2026-03-01T19:30:00.000Z")
        payment.pop("confirmation", None)
        if payment["payment_method"]["type"] == "bank_card":
            payment["payment_method"].update(title="Bank card *4242", card={"first6": "555555", "last4": "4242"})
        key_body = next((b for (path, _), (b, o) in self.keys.items() if o is payment), {})
        if key_body.get("save_payment_method"):  # ЮKassa saves it: the method's id is the payment's
            payment["payment_method"]["saved"] = True
        return payment

    def cancel(self, payment_id: str, reason: str = "insufficient_funds", party: str = "payment_network") -> dict:
        payment = self.payments[payment_id]
        payment.update(status="canceled", cancellation_details={"party": party, "reason": reason})
        payment.pop("confirmation", None)
        return payment

    def notification(self, event: str, obj: dict) -> bytes:
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    def notify(self, url: str, event: str, obj: dict) -> int:
        """POST a notification to `url`, as ЮKassa does; its HTTP status."""
        request = Request(url, data=self.notification(event, obj), headers={"Content-Type": "application/json"})
        try:
            with urlopen(request, timeout=10) as response:
                return response.status
        except Exception as exc:  # HTTPError carries the status
            return getattr(exc, "code", 0)

    def authorised(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{SHOP_ID}:{SECRET_KEY}".encode()).decode()
        return header == f"Basic {expected}"


def _error(code: str, description: str) -> dict:
    return {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}


class _Handler(BaseHTTPRequestHandler):
    api: FakeYooKassa

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def _serve(self, method: str):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length) if length else b""
        key = self.headers.get("Idempotence-Key")
        self.api.requests.append((method, self.path, key))
        step = self.api.script.pop(0) if self.api.script else None
        if step and step[0] == "status":
            return self._answer(int(step[1]), _error("internal_server_error", "Internal server error"))
        if not self.api.authorised(self.headers.get("Authorization")):
            return self._answer(401, _error("invalid_credentials", "Basic auth failed"))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._answer(400, _error("invalid_request", "Not JSON"))
        status, obj = self.api.handle(method, self.path, key, body)
        if step and step[0] == "slow":
            time.sleep(step[1])
        self._answer(status, obj, truncated=bool(step and step[0] == "truncated"))

    def _answer(self, status: int, obj: dict, truncated: bool = False):
        payload = json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2] if truncated else payload)
            self.close_connection = truncated
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    def log_message(self, *args):
        pass
