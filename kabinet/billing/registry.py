"""Lookups in the billing registry.

Today the registry is this database, loaded by import; the interface names the two ways a
lookup can fail so that callers handle the day the billing source is a remote system
that may be down.
"""

from collections.abc import Sequence
from dataclasses import dataclass
import re
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis import RedisError

from kabinet.billing.models import PersonalAccount, Region
from kabinet.core.compiled import Compiled, Rows


class RegistryError(Exception):
    """Base of the registry's failures; every one is shown to customers as «Объект не найден»."""


class RegistryUnavailable(RegistryError):
    """The billing source cannot answer now."""


class AccountNotFound(RegistryError):
    """The registry answered: there is no such account in that region."""


def ensure_available(region: Region) -> None:
    if not settings.KABINET_REGISTRY_AVAILABLE or not region.registry_available:
        raise RegistryUnavailable(region.name)


def find_account(region: Region, number: str) -> PersonalAccount:
    """The account with that number in that region, active or closed."""
    ensure_available(region)
    number = number.strip()
    try:
        return PersonalAccount.objects.select_related("premises", "region", "replaced_by").get(
            region=region, number=number
        )
    except PersonalAccount.DoesNotExist:
        raise AccountNotFound(number) from None


def default_region() -> Region | None:
    return Region.objects.filter(is_default=True).first() or Region.objects.first()


# Every region, as `Region.objects.all()` lists them (Region.Meta.ordering), compiled once per
# process (core.compiled): the login, registration and «Добавить лицевой счёт» forms list them,
# and building the query cost the ORM more CPU than running it (docs/performance.md, step 18).
_REGIONS = Compiled(lambda: Region.objects.all())


def all_regions() -> list[Region]:
    """What `list(Region.objects.all())` gives, without compiling it again."""
    return _REGIONS.instances()


def region_rows() -> Rows:
    """`all_regions`' rows, their instances not made yet: a page that keeps what it draws from them
    keys it by the rows (portal.profile_forms)."""
    return _REGIONS.rows()


def default_among(regions: Sequence[Region]) -> Region | None:
    """`default_region`'s rule on regions already read, in their order (`Region.Meta.ordering`)."""
    return next((region for region in regions if region.is_default), regions[0] if regions else None)


# The company's federal number, for the rare page or message that has no region to name.
FALLBACK_CONTACT_PHONE = "8-800-700-10-32"


def contact_phone(region: Region | None) -> str:
    """The contact centre a customer of the region calls."""
    return (region.contact_phone if region else "") or FALLBACK_CONTACT_PHONE


@dataclass(frozen=True)
class Contacts:
    """The contact centre and feedback form a page's footer names."""

    phone: str
    phone_tel: str  # for tel: links
    feedback_url: str


def contacts_of(region: Region | None) -> Contacts:
    phone = contact_phone(region)
    return Contacts(phone, re.sub(r"[^\d+]", "", phone), region.feedback_url if region else "#")


# Every page's footer names the default region's contacts: read once per process and again only
# when the version in the shared cache (Redis in production) is not the one they were read at.
# A region's save or delete sets a new version (`regions_changed`), so no process shows the old
# contacts after an edit in /admin/; a lost or evicted version reads afresh. Random versions, not
# a counter: a counter restarted after an eviction could meet a version a process still holds.
CONTACTS_VERSION_KEY = "billing:regions-version"
# Edits that send no signal (raw SQL, a data migration) show within this many seconds.
CONTACTS_MAX_AGE = 300
# The version is asked for at most this often a process: an edit in another process shows
# within a second, and most pages skip a Redis round trip (docs/performance.md, step 6).
CONTACTS_RECHECK = 1.0


@dataclass(frozen=True)
class _Kept:
    version: str
    read_at: float  # time.monotonic() of the database read
    checked_at: float  # of the last time the shared version was this one
    contacts: Contacts


_contacts: _Kept | None = None


def default_contacts() -> Contacts:
    """`contacts_of(default_region())`, without a query on nearly every page."""
    global _contacts
    known, now = _contacts, time.monotonic()
    if known and now - known.checked_at < CONTACTS_RECHECK and now - known.read_at < CONTACTS_MAX_AGE:
        return known.contacts
    try:
        version = _shared_version()
    except (RedisError, OSError):
        # Every page has the footer, the login page included: without the shared cache it is
        # read from the database each time, and nothing kept could outlive an edit missed now.
        _contacts = None
        return contacts_of(default_region())
    if version is not None and known and known.version == version and now - known.read_at < CONTACTS_MAX_AGE:
        _contacts = _Kept(version, known.read_at, now, known.contacts)
        return known.contacts
    contacts = contacts_of(default_region())
    _contacts = _Kept(version, now, now, contacts) if version is not None else None
    return contacts


def _shared_version() -> str | None:
    version = cache.get(CONTACTS_VERSION_KEY)
    if version is None:
        cache.add(CONTACTS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(CONTACTS_VERSION_KEY)
    return version


def regions_changed(**_) -> None:
    """A region was saved or deleted (signals, billing.apps): a new version now, so that no
    process keeps the old contacts, and again at commit, so that one read in between (of the
    rows before the commit) is not kept either."""
    _new_contacts_version()
    transaction.on_commit(_new_contacts_version)


def forget_contacts() -> None:
    """Drop this process's kept contacts: the next page reads them (tests, between cases)."""
    global _contacts
    _contacts = None


def _new_contacts_version() -> None:
    forget_contacts()  # this process: at once, whatever the recheck interval
    cache.set(CONTACTS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
