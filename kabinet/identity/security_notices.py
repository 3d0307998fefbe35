"""Telling a customer's old phone and e-mail that the phone, e-mail or password changed.

Whoever takes over an account changes exactly these; a notice to the contacts the owner had
before the change is how the owner learns of it in time to call the contact centre.
"""

from dataclasses import dataclass

from kabinet.billing.registry import default_region
from kabinet.identity.models import User
from kabinet.notifications.services import send_email, send_sms

FALLBACK_CONTACT_PHONE = "8-800-700-10-32"
WHAT = {"phone": "телефон", "email": "e-mail", "password": "пароль"}


@dataclass(frozen=True)
class Contacts:
    """Where a notice goes: the phone and e-mail as they were before the change."""

    phone: str | None
    email: str | None

    @classmethod
    def of(cls, user: User) -> "Contacts":
        return cls(user.phone, user.email)


def contact_centre_phone(user: User) -> str:
    """The contact centre of the region of the user's first account, else the default one."""
    link = user.account_links.select_related("account__region").first()
    region = link.account.region if link else default_region()
    return (region.contact_phone if region else "") or FALLBACK_CONTACT_PHONE


def notify_security_change(user: User, what: str, old_contacts: Contacts) -> None:
    """Tell `old_contacts` that `what` ("phone", "email" or "password") was changed. The
    messages go out after commit, so a change that rolls back tells nobody."""
    changed = f"В личном кабинете изменён {WHAT[what]}"
    advice = f"Если это были не вы, позвоните в контактный центр: {contact_centre_phone(user)}."
    if old_contacts.phone:
        send_sms(old_contacts.phone, f"{changed}. {advice}")
    if old_contacts.email:
        send_email(old_contacts.email, changed, f"Здравствуйте!\n\n{changed}.\n{advice}")
