"""Bearer authentication: an access token from a sign-in or a personal access token.

`request.auth` is then a Principal (identity.api_tokens): the user, the token, the accounts
it may see and whether it may submit readings. Every authenticated request is counted
against the token's rate (KABINET_API_RATE a minute)."""

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from kabinet.api import read_cache
from kabinet.api.problems import ApiProblem
from kabinet.identity import api_tokens
from kabinet.identity.api_tokens import Principal

__all__ = ["Principal", "access_token_auth", "token_auth"]


def check_rate(request: HttpRequest, principal: Principal) -> None:
    """The token's rate, counted in the round trip that also reads a cached answer (read_cache)."""
    if wait := read_cache.count_and_peek(request, principal):
        raise ApiProblem(
            429,
            f"Не больше {settings.KABINET_API_RATE} запросов в минуту. Повторите через {wait} с.",
            headers={"Retry-After": str(wait)},
        )


class TokenAuth(HttpBearer):
    """Either kind of token."""

    kinds = ("access", "personal")

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        principal = api_tokens.authenticate(token)
        if principal is None:
            return None
        check_rate(request, principal)
        if principal.kind not in self.kinds:
            raise ApiProblem(403, "Это можно сделать только после входа по паролю, не личным токеном.")
        return principal


class AccessTokenAuth(TokenAuth):
    """A sign-in's access token only: managing tokens needs the password, so a leaked personal
    token cannot make itself more."""

    kinds = ("access",)


token_auth = TokenAuth()
access_token_auth = AccessTokenAuth()
