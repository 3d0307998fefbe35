"""Confirming an e-mail address by a link: the address given at registration and a new one
set in the profile follow one rule: an address is the user's e-mail (logs in, recovers the
password) only once confirmed. Until then it waits in an EmailConfirmation row.

A link is the user's and the address's only: it is opened in that user's session, works once,
lives KABINET_EMAIL_CONFIRM_MAX_AGE, and a newer request or a password change voids it. Only a
hash of its token is stored. See docs/identifiers.md.
"""

from datetime import datetime, timedelta
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from kabinet.billing import bill_delivery
from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.core.wording import plural_ru
from kabinet.identity.accounts import FieldRejected, count_contact_use, email_taken, email_taken_message
from kabinet.identity.models import EmailConfirmation, User
from kabinet.identity.security_notices import Contacts, notify_security_change, user_region
from kabinet.notifications.services import send_email

INVALID = "Ссылка недействительна. Укажите e-mail в профиле ещё раз."
NOT_YOURS = "Эта ссылка отправлена для другой учётной записи. Выйдите и войдите в неё: ссылка откроется после входа."
CLOSED = "Эта ссылка больше не действует: по ней уже перешли, или потом был запрошен другой e-mail, или сменён пароль."
EXPIRED = "Срок действия ссылки истёк. Нажмите «Отправить ссылку ещё раз» в профиле."
PURGE_AFTER = timedelta(days=30)
# Which open link is the pending one: the newest (a new request voids the older anyway).
NEWEST_FIRST = ("-created_at",)


class AnotherUsersLink(FieldRejected):
    """The link was sent for another account: the page offers to log out and in as its user."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hours(seconds: float) -> str:
    hours = round(seconds / 3600)
    return f"{hours} {plural_ru(hours, ('час', 'часа', 'часов'))}"


def open_links(now: datetime) -> QuerySet[EmailConfirmation]:
    """Links that still work at `now`: not used, not voided, not expired (every user's; the
    profile's facts read the user's newest as a subquery, identity.profile.profile_facts)."""
    return EmailConfirmation.objects.filter(used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now)


def _open(user: User) -> QuerySet[EmailConfirmation]:
    return open_links(timezone.now()).filter(user=user)


def send_link(user: User, address: str, ip: str, *, at_registration: bool = False) -> EmailConfirmation:
    """Void the user's earlier links, store a new one and mail it to `address` after commit.
    Callers count the use first (count_contact_use)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    lifetime = settings.KABINET_EMAIL_CONFIRM_MAX_AGE
    with transaction.atomic():
        # Lock the user's row first: two requests at once would otherwise both void (nothing
        # of each other's yet) and both insert, leaving two open links.
        User.objects.select_for_update().get(pk=user.pk)
        _open(user).update(voided_at=now)  # set-based: not shown (e-mail confirmations)
        row = EmailConfirmation.objects.create(
            user=user,
            address=address,
            token_hash=_token_hash(token),
            at_registration=at_registration,
            ip=ip or None,
            created_at=now,
            expires_at=now + lifetime,
        )
        link = settings.KABINET_PUBLIC_URL + reverse("portal:confirm_email", kwargs={"token": token})
        send_email(
            address,
            "Подтверждение e-mail в личном кабинете",
            # No name: until the link is opened the address may be a stranger's, who would
            # learn whose account it is.
            "Здравствуйте!\n\nЧтобы подтвердить этот адрес для личного кабинета, откройте ссылку "
            f"(она действует {_hours(lifetime.total_seconds())} и только один раз):\n{link}\n\n"
            "Если вы не указывали этот e-mail, просто проигнорируйте письмо: без перехода по ссылке "
            "адрес не будет сохранён.",
            secret=True,
        )
    return row


def pending(user: User) -> EmailConfirmation | None:
    """The address awaiting confirmation, if its link still works."""
    return _open(user).order_by(*NEWEST_FIRST).first()


def resend(user: User, ip: str) -> EmailConfirmation:
    """A new link for the address awaiting confirmation (the old one dies). Raises
    FieldRejected when nothing awaits, TooManyRequests over the quota."""
    row = pending(user)
    if row is None:
        raise FieldRejected("email", "Нет e-mail, ожидающего подтверждения. Укажите адрес ещё раз.")
    count_contact_use("email", row.address, user=user, ip=ip)
    return send_link(user, row.address, ip, at_registration=row.at_registration)


def purge_stale(now: datetime | None = None) -> int:
    """Delete links used, voided or expired more than PURGE_AFTER ago (housekeeping): their
    hashes serve nothing once closed, and the addresses in them are personal data."""
    cutoff = (now or timezone.now()) - PURGE_AFTER
    closed = Q(used_at__lt=cutoff) | Q(voided_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    deleted, _ = EmailConfirmation.objects.filter(closed).delete()  # set-based: not shown (e-mail confirmations)
    return deleted


def _usable(user: User, token: str) -> EmailConfirmation:
    row = EmailConfirmation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    if row is None:
        raise FieldRejected(None, INVALID)
    if row.user_id != user.pk:
        raise AnotherUsersLink(None, NOT_YOURS)
    if row.used_at or row.voided_at:
        raise FieldRejected(None, CLOSED)
    if timezone.now() >= row.expires_at:
        raise FieldRejected(None, EXPIRED)
    if email_taken(row.address, exclude=user):
        raise FieldRejected(None, email_taken_message(user_region(user)))
    return row


def confirm(user: User, token: str, ip: str) -> str:
    """Make the link's address the user's e-mail and return it. Raises FieldRejected when the
    link is unknown, another user's, used, voided, expired, or the address was taken since."""
    old = Contacts.of(user)
    try:
        with transaction.atomic():
            row = _usable(user, token)
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            user.email = row.address
            user.save(update_fields=["email"])
            bill_delivery.email_changed(user)  # the bills already going by e-mail follow it
            # Confirming the address given at registration changes nothing anyone knew of;
            # replacing an e-mail the account already had does, whichever link was used.
            if old.email or not row.at_registration:
                notify_security_change(user, "email", old)
    except IntegrityError:
        user.email = old.email
        raise FieldRejected(None, email_taken_message(user_region(user))) from None
    audit.record(AuditEvent.Action.EMAIL_CHANGED, ip=ip, user=user, identifier=user.email, stage="confirmed")
    return user.email
