"""Which personal accounts a customer may see: those linked to them. Everything under an
account in the portal (accruals, payments, meters, readings, bills) goes through here."""

from django.db.models import QuerySet
from django.http import Http404

from kabinet.billing.models import PersonalAccount
from kabinet.core.compiled import Compiled, sentinel


def customer_accounts(user) -> QuerySet[PersonalAccount]:
    return (
        PersonalAccount.objects.filter(link__user=user)
        .select_related("premises", "region")
        .order_by("region__ordering", "number")
    )


def customer_account_query(user, account_id: int) -> QuerySet[PersonalAccount]:
    """The customer's account with that id, if it is theirs: what every page about an account
    reads (payments.cards adds its card's flags)."""
    return customer_accounts(user).filter(pk=account_id)


# Every page about an account asks this: compiled once per process (core.compiled).
_ACCOUNT = Compiled(customer_account_query, sentinel.integer(0), sentinel.integer(1))


def customer_account(user, account_id: int) -> PersonalAccount:
    """The customer's own account; anyone else's is simply not found."""
    return customer_account_by(_ACCOUNT, user, account_id)


def customer_account_by(read: Compiled, user, account_id: int, *more) -> PersonalAccount:
    """The account a compiled `customer_account_query(user, account_id)` (with columns of its
    page's added, which may take `more` arguments) finds; anyone else's is simply not found (Http404)."""
    found = read.instances(user.pk, int(account_id), *more)
    if not found:
        raise Http404
    return found[0]
