"""The demo's employees have the authenticator app set up with the key the README gives, so
the demo can be tried without a phone; only in DEBUG."""

from pathlib import Path

import pyotp
import pytest

from kabinet.identity import second_factor
from kabinet.identity.models import User
from kabinet.portal.management.commands.load_demo import DEMO_TOTP_KEY

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_gives_the_key():
    assert DEMO_TOTP_KEY in README.read_text(encoding="utf-8")


def test_a_code_from_the_readmes_key_is_accepted(db, settings):
    settings.DEBUG = True
    admin = User.objects.create_superuser("+79990000000", "Admin-Demo-2026!")
    assert second_factor.set_up_for_demo(admin, DEMO_TOTP_KEY)
    assert not second_factor.set_up_for_demo(admin, DEMO_TOTP_KEY)  # idempotent
    code = pyotp.TOTP(DEMO_TOTP_KEY.replace(" ", "")).now()
    assert second_factor.verify(admin, code, "127.0.0.1").outcome is second_factor.Outcome.OK


def test_never_outside_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(RuntimeError):
        second_factor.set_up_for_demo(User.objects.create_user("+79990000001", "x"), DEMO_TOTP_KEY)
