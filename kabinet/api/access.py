"""What a principal may reach: the accounts (their own, narrowed to the token's) and writes."""

from django.db.models import QuerySet

from kabinet.api.problems import ApiProblem
from kabinet.billing.models import PersonalAccount
from kabinet.identity import api_tokens
from kabinet.identity.api_tokens import Principal


def accounts_of(principal: Principal) -> QuerySet[PersonalAccount]:
    return api_tokens.accounts_of(principal)


def account_or_404(principal: Principal, account_id: int) -> PersonalAccount:
    """One of the principal's accounts; another customer's, or one outside the token's scope,
    is simply not found."""
    account = accounts_of(principal).filter(pk=account_id).first()
    if account is None:
        raise ApiProblem(404, "Лицевой счёт не найден.")
    return account


def require_write(principal: Principal) -> None:
    if not principal.can_submit_readings:
        raise ApiProblem(403, "Токен только для чтения: передавать показания им нельзя.")
