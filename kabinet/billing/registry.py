"""Lookups in the billing registry.

Today the registry is this database, loaded by import; the interface names the two ways a
lookup can fail so that callers handle the day the billing source is a remote system
that may be down.
"""

from collections.abc import Sequence

from django.conf import settings

from kabinet.billing.models import PersonalAccount, Region


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


def default_among(regions: Sequence[Region]) -> Region | None:
    """`default_region`'s rule on regions already read, in their order (`Region.Meta.ordering`)."""
    return next((region for region in regions if region.is_default), regions[0] if regions else None)


# The company's federal number, for the rare page or message that has no region to name.
FALLBACK_CONTACT_PHONE = "8-800-700-10-32"


def contact_phone(region: Region | None) -> str:
    """The contact centre a customer of the region calls."""
    return (region.contact_phone if region else "") or FALLBACK_CONTACT_PHONE
