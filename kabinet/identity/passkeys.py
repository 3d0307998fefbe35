"""Passkeys (WebAuthn) as a second factor (docs/second-factor.md). django-otp-webauthn keeps
them (its credential is a django-otp device, so the middleware, the code pages, the remembered
browser and the admin take a passkey as they take the app) and checks the ceremonies through
py_webauthn; its views are not mounted, the rules are here:

- A passkey is added by a verified session, or by one whose user has no second factor yet (an
  employee's first, at setup); the first factor comes with recovery codes, as the app's does.
- At sign-in it completes the session the password opened, for that user's passkeys only,
  counted and audited like a code (second_factor.counted); so is a refused registration.
- A challenge is kept in the session and taken out before it is checked: good for one try.
- A customer removes one with a current code or the password; an employee keeps at least one
  second factor.
"""

import json

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.exceptions import WebAuthnException

from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor, setup_grants
from kabinet.identity.models import User
from kabinet.identity.second_factor import Check, Outcome
from kabinet.identity.staff import is_staff_member

REGISTER_STATE = "kabinet_passkey_register"
SIGN_IN_STATE = "kabinet_passkey_sign_in"
# What a malformed or forged answer raises on its way through py_webauthn and the plugin.
_REFUSED = (WebAuthnException, OTPWebAuthnApiError, ValueError, KeyError, TypeError, AttributeError)


def may_add(request: HttpRequest) -> bool:
    """A verified session, or the first second factor of its user (after an administrator's
    deletion, only with a setup grant redeemed in this session: identity.setup_grants)."""
    if request.user.is_verified():
        return True
    return not second_factor.is_on(request.user) and setup_grants.may_set_up(request)


def registration_options(request: HttpRequest) -> dict:
    """The options for navigator.credentials.create(); the challenge stays in the session."""
    data, state = _helper(request).register_begin(user=request.user)
    request.session[REGISTER_STATE] = state
    return data


def register(request: HttpRequest, name: str, credential: str, ip: str | None) -> tuple[Check, list[str]]:
    """Save the new passkey when the browser's answer meets the session's challenge; the first
    second factor of the user also gets recovery codes (shown once). A refused answer is
    counted and audited like a wrong code, with why (the exception's name)."""
    user = request.user
    state = request.session.pop(REGISTER_STATE, None)
    if not may_add(request):
        return Check(Outcome.INVALID), []
    first = not second_factor.is_on(user)
    details = {"method": "passkey", "step": "register"}
    codes: list[str] = []

    def proof() -> WebAuthnCredential | None:
        if not state:
            details["reason"] = "NoChallenge"
            return None
        try:
            with transaction.atomic():  # a savepoint: a duplicate key leaves counted's transaction usable
                device = _helper(request).register_complete(user=user, state=state, data=json.loads(credential))
                device.name = name
                device.save(update_fields=["name"])
                codes.extend(second_factor.issue_recovery_codes(user) if first else [])
                setup_grants.done(request)
        except (*_REFUSED, IntegrityError) as exc:  # IntegrityError: the key is someone's already
            details["reason"] = type(exc).__name__
            return None
        return device

    check = second_factor.counted(user, ip, proof, details)
    if check.outcome is Outcome.OK:
        second_factor.forget_factor_answer(user)
        audit.record(AuditEvent.Action.SECOND_FACTOR_ON, user=user, ip=ip, method="passkey", name=name)
    return check, codes


def sign_in_options(request: HttpRequest) -> dict:
    """The options for navigator.credentials.get(), naming the user's passkeys only. The
    password was the first factor: possession of the key is the second, so no PIN is asked."""
    data, state = _helper(request).authenticate_begin(user=request.user, require_user_verification=False)
    request.session[SIGN_IN_STATE] = state
    return data


def verify(request: HttpRequest, credential: str | None, ip: str | None, *, site: str = "") -> Check:
    """The passkey's answer at sign-in, counted like a code; audited either way. None: the form
    refused it (over 16 KB), a failure all the same."""
    user = request.user
    state = request.session.pop(SIGN_IN_STATE, None)

    details = {"method": "passkey"}

    def proof() -> WebAuthnCredential | None:
        if credential is None or not state:
            details["reason"] = "InvalidForm" if credential is None else "NoChallenge"
            return None
        try:
            device = _helper(request).authenticate_complete(user=user, state=state, data=json.loads(credential))
        except _REFUSED as exc:
            details["reason"] = type(exc).__name__
            return None
        return device if device.confirmed else None

    check = second_factor.counted(user, ip, proof, details)
    if check.outcome is Outcome.OK:
        where = {"site": site} if site else {}
        audit.record(AuditEvent.Action.SECOND_FACTOR_USED, user=user, ip=ip, method="passkey", **where)
    return check


def may_remove(user: User, device: WebAuthnCredential) -> bool:
    """Employees keep at least one second factor; customers may remove their last (then the
    recovery codes go too, as when the second factor is turned off)."""
    if not is_staff_member(user):
        return True
    return second_factor.code_factor_on(user) or second_factor.passkeys(user).exclude(pk=device.pk).exists()


def remove(user: User, pk: int, ip: str | None, proof: str | None = None) -> Check:
    """Remove one passkey of the user's. Customers prove it with a current code or the password
    (counted like codes); an employee's verified session is the proof, and not the last factor."""
    device = second_factor.passkeys(user).filter(pk=pk).first()
    if device is None or not may_remove(user, device):
        return Check(Outcome.INVALID)
    if not is_staff_member(user):

        def proven():
            return second_factor.verify_code(user, proof or "") or (user if user.check_password(proof or "") else None)

        check = second_factor.counted(user, ip, proven)
        if check.outcome is not Outcome.OK:
            return check
    if not _delete(user, device):
        return Check(Outcome.INVALID)
    audit.record(AuditEvent.Action.SECOND_FACTOR_OFF, user=user, ip=ip, method="passkey", name=device.name)
    return Check(Outcome.OK)


def _delete(user: User, device: WebAuthnCredential) -> bool:
    """Delete under the user's row lock, so two removals at once are served one after the other:
    the second sees the first's result, and an employee is never left without a second factor."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        # set-based: not shown (second-factor devices and codes)
        if not second_factor.passkeys(user).filter(pk=device.pk).delete()[0]:
            return False
        if is_staff_member(user) and not second_factor.is_on(user):
            transaction.set_rollback(True)
            return False
        if not second_factor.is_on(user):
            StaticDevice.objects.filter(user=user).delete()  # set-based: not shown (second-factor devices and codes)
    second_factor.forget_factor_answer(user)
    return True


def _helper(request: HttpRequest):
    return WebAuthnCredential.get_webauthn_helper(request=request)
