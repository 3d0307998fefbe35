"""GET /profile: who the token belongs to and what it may do."""

from django.http import HttpRequest
from ninja import Router, Schema

from kabinet.api.access import accounts_of
from kabinet.api.caching import etag
from kabinet.api.schemas import problem_responses

router = Router(tags=["Профиль"])


class ProfileTokenOut(Schema):
    """Not `TokenOut`: OpenAPI components are named by class, and routers.tokens has one."""

    kind: str  # "access" (a sign-in) or "personal"
    can_submit_readings: bool
    accounts: list[str]  # the account numbers the token reaches


class ProfileOut(Schema):
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    token: ProfileTokenOut


@router.get("", response={200: ProfileOut, **problem_responses(401, 429)}, summary="Профиль")
@etag
def get_profile(request: HttpRequest):
    principal = request.auth
    user = principal.user
    numbers = list(accounts_of(principal).order_by("number").values_list("number", flat=True))
    token = ProfileTokenOut(kind=principal.kind, can_submit_readings=principal.can_submit_readings, accounts=numbers)
    return ProfileOut(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email, token=token
    )
