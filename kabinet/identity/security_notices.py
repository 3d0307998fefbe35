"""Telling a customer's old phone and e-mail that the phone, e-mail or password changed.

Whoever takes over an account changes exactly these; a notice to the contacts the owner had
before the change is how the owner learns of it in time to call the contact centre.
"""

from dataclasses import dataclass

from kabinet.billing.models import Region
from kabinet.billing.registry import contact_phone, default_region
from kabinet.core.wording import greeting
from kabinet.identity.models import User
from kabinet.notifications.services import send_email, send_sms

WHAT = {"phone": "телефон", "email": "e-mail", "password": "пароль"}


@dataclass(frozen=True)
class Contacts:
    """Where a notice goes: the phone and e-mail as they were before the change."""

    phone: str | None
    email: str | None

    @classmethod
    def of(cls, user: User) -> "Contacts":
        return cls(user.phone, user.email)


def user_region(user: User) -> Region | None:
    """The region of the user's first account, else the default one: whose contact centre a
    message to this user names."""
    link = user.account_links.select_related("account__region").first()
    return link.account.region if link else default_region()


def notify_security_change(user: User, what: str, old_contacts: Contacts) -> None:
    """Tell `old_contacts` that `what` ("phone", "email" or "password") was changed. The
    messages go out after commit, so a change that rolls back tells nobody."""
    changed = f"В личном кабинете изменён {WHAT[what]}"
    advice = f"Если это были не вы, позвоните в контактный центр: {contact_phone(user_region(user))}."
    if old_contacts.phone:
        send_sms(old_contacts.phone, f"{changed}. {advice}")
    if old_contacts.email:
        send_email(old_contacts.email, changed, f"{greeting(user.first_name)}\n\n{changed}.\n{advice}")
