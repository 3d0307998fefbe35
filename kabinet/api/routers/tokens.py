"""Personal access tokens: list, make, revoke. Only with a sign-in's access token (the
password was typed), never with a personal token: a leaked one cannot breed."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kabinet.api.auth import access_token_auth
from kabinet.api.ids import ObjectId
from kabinet.api.problems import ApiProblem
from kabinet.api.schemas import problem_responses
from kabinet.identity import api_tokens
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.models import PersonalAccessToken

router = Router(tags=["Токены доступа"], auth=access_token_auth)


class AccountRef(Schema):
    id: int
    number: str


class TokenOut(Schema):
    id: int
    name: str
    accounts: list[AccountRef]
    can_submit_readings: bool
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    expired: bool


class TokenIn(Schema):
    name: str = Field(..., max_length=api_tokens.NAME_MAX_LENGTH, description="Название, например «Home Assistant»")
    accounts: list[ObjectId] = Field(..., description="Идентификаторы лицевых счетов (id из /accounts)")
    can_submit_readings: bool = Field(False, description="false — только чтение")
    lifetime: Literal["30", "90", "365", "none"] = Field("90", description="Срок действия, дней; none — без срока")


class CreatedOut(Schema):
    token: TokenOut
    secret: str = Field(..., description="Показывается один раз; храните его как пароль")


def _out(token: PersonalAccessToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        accounts=[AccountRef(id=a.pk, number=a.number) for a in token.accounts.all()],
        can_submit_readings=token.can_submit_readings,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        expired=api_tokens.is_expired(token),
    )


@router.get("", response={200: list[TokenOut], **problem_responses(401, 403)}, summary="Токены доступа")
def list_tokens(request: HttpRequest):
    return [_out(token) for token in api_tokens.personal_tokens(request.auth.user)]


@router.post("", response={201: CreatedOut, **problem_responses(401, 403, 422)}, summary="Создать токен")
def create_token(request: HttpRequest, payload: TokenIn):
    try:
        created = api_tokens.create_personal_token(
            request.auth.user, payload.name, payload.accounts, payload.can_submit_readings, payload.lifetime
        )
    except FieldRejected as rejected:
        raise ApiProblem(422, errors={rejected.field or "body": [rejected.message]}) from None
    return Status(201, CreatedOut(token=_out(created.token), secret=created.secret))


# set-based: not a write (an HTTP route)
@router.delete("/{int:token_id}", response={204: None, **problem_responses(401, 403, 404)}, summary="Отозвать токен")
def revoke_token(request: HttpRequest, token_id: ObjectId):
    if not api_tokens.revoke_personal_token(request.auth.user, token_id):
        raise ApiProblem(404, "Токен не найден.")
    return Status(204, None)
