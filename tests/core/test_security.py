"""Security that is part of done: production settings, headers, CSRF, no external hosts, labels."""

from html.parser import HTMLParser
from pathlib import Path
import re
import subprocess
import sys

from django.conf import settings
from django.test import Client
from django.urls import reverse
import pytest

from tests.factories import customer_login, production_env

ROOT = Path(settings.BASE_DIR)


def test_production_settings_turn_on_secure_cookies_and_hsts(tmp_path):
    env = production_env(tmp_path)  # `check --deploy` on it: tests/deploy/test_config.py
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.KABINET_KEEP_SECRET_MESSAGES)"
    )
    env["DJANGO_SETTINGS_MODULE"] = "kabinet.settings"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True", "True", "True", "True", "False"], out.stderr


def test_headers(client, db):
    response = client.get(reverse("portal:login"))
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_csrf_is_enforced_on_every_form(db, sverdlovsk):
    client = Client(enforce_csrf_checks=True)
    for name in ["portal:login", "portal:register", "portal:recover"]:
        assert client.post(reverse(name), {}).status_code == 403, name


def test_passwords_are_stored_as_argon2id(customer):
    assert customer.password.startswith("argon2$argon2id$")


# --- Pages: no external hosts, no inline scripts ---------------------------------------------
TEMPLATES = sorted(ROOT.glob("kabinet/**/templates/**/*.html"))
STATIC = sorted(p for p in ROOT.glob("kabinet/**/static/**/*") if p.is_file())
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I)


@pytest.mark.parametrize("path", TEMPLATES + STATIC, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_external_host_and_no_inline_script(path):
    if path.suffix in {".png", ".ico", ".woff2"}:
        return
    text = path.read_text(encoding="utf-8")
    assert not EXTERNAL.search(text), "pages must not load anything from another host"
    if path.suffix == ".html":
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script> is blocked by the CSP"
        assert not re.search(r"\son[a-z]+\s*=", text), "inline event handlers are blocked by the CSP"
        assert "style=" not in text, "inline styles are blocked by the CSP"


# --- Every input has a real label -----------------------------------------------------------
class FormAudit(HTMLParser):
    """Collects form controls and labels: each control needs a <label for=its id> or to sit
    inside a <label>."""

    def __init__(self):
        super().__init__()
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict]] = []
        self.label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append((tag, {**attrs, "_inside_label": self.label_depth > 0}))

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1

    def unlabelled(self) -> list[str]:
        return [
            f"<{tag} name={attrs.get('name')}>"
            for tag, attrs in self.controls
            if not attrs["_inside_label"] and attrs.get("id") not in self.label_for
        ]


ANONYMOUS_PAGES = ["portal:landing", "portal:login", "portal:register", "portal:recover", "portal:consent"]
CUSTOMER_PAGES = ["portal:home", "portal:profile", "portal:phone", "portal:password", "portal:add_account"]


def audit(client, url: str) -> FormAudit:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = FormAudit()
    parser.feed(response.content.decode())
    return parser


def test_every_input_has_a_label(client, customer):
    checked = 0
    for name in ANONYMOUS_PAGES:
        parser = audit(client, reverse(name))
        assert parser.unlabelled() == [], name
        checked += len(parser.controls)
    customer_login(client, customer)
    for name in CUSTOMER_PAGES:
        parser = audit(client, reverse(name))
        assert parser.unlabelled() == [], name
        checked += len(parser.controls)
    assert checked >= 20  # the audit found the forms it is meant to check


def test_form_audit_catches_a_missing_label():
    parser = FormAudit()
    parser.feed('<label for="a">A</label><input id="a"><input id="b" name="b"><label>C <input name="c"></label>')
    assert parser.unlabelled() == ["<input name=b>"]
