"""Sign-in, refresh, sign-out. The rules (identifiers, regions, limits, lockouts, audit,
rotation and reuse detection) are identity.login's and identity.api_tokens'."""

import math

from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from kabinet.api.auth import token_auth
from kabinet.api.problems import ApiProblem
from kabinet.api.schemas import SecondFactorRequired, problem_responses
from kabinet.billing.models import Region
from kabinet.billing.registry import default_region
from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity import api_tokens, second_factor
from kabinet.identity.codes import CodeThrottled
from kabinet.identity.login import Outcome

router = Router(tags=["Вход"])

INVALID = "Неверный логин или пароль. Проверьте номер лицевого счета, телефон или e-mail, пароль и регион."
NOT_SERVED = "Абонент не обслуживается/Учетная запись заблокирована. Позвоните в контактный центр: {phone}."
OBJECT_NOT_FOUND = (
    "Объект не найден. Повторите вход позже. Если ошибка сохраняется, позвоните в контактный центр: {phone}."
)
REFRESH_INVALID = "Токен обновления недействителен или уже использован: войдите заново."
SECOND_FACTOR_APP = "Нужен код из приложения-аутентификатора: отправьте его с mfa_token на /auth/token/second-factor."
SECOND_FACTOR_SMS = (
    "Нужен код из SMS: запросите его с mfa_token на /auth/token/second-factor/sms "
    "и отправьте с mfa_token на /auth/token/second-factor."
)
SECOND_FACTOR_RECOVERY = "Нужен резервный код: отправьте его с mfa_token на /auth/token/second-factor."
OR_RECOVERY = " Подойдёт и резервный код."
NO_SMS = "Коды по SMS не включены: введите код из приложения или резервный код."
SMS_THROTTLED = "Новый код можно будет запросить после {time}."
SECOND_FACTOR_TYPE = "urn:kabinet:problem:mfa_required"
CODE_INVALID = "Неверный код. Проверьте время на телефоне и введите код, который показан сейчас."
CHALLENGE_INVALID = "mfa_token недействителен или истёк (5 минут): войдите заново."


class SignInIn(Schema):
    identifier: str = Field(..., max_length=254, description="Номер лицевого счета, телефон или e-mail")
    password: str = Field(..., max_length=4096)
    region: str | None = Field(None, max_length=8, description="Код региона (по умолчанию — основной)")

    @field_validator("identifier")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # As the login page's field refuses it: PostgreSQL cannot hold NUL, the lookup would fail.
        if "\x00" in value:
            raise ValueError("Логин не должен содержать нулевой символ (NUL).")
        return value


class SecondFactorIn(Schema):
    mfa_token: str = Field(..., max_length=400, description="Из ответа 401 на вход")
    code: str = Field(..., max_length=32, description="Код из приложения или резервный код")


class SmsCodeIn(Schema):
    mfa_token: str = Field(..., max_length=400, description="Из ответа 401 на вход")


class RefreshIn(Schema):
    refresh_token: str = Field(..., max_length=200)


class TokensOut(Schema):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def _region(code: str | None) -> Region:
    if code and "\x00" in code:  # no region has it, and PostgreSQL refuses NUL in a lookup
        raise ApiProblem(422, errors={"region": ["Нет такого региона."]})
    region = Region.objects.filter(code=code).first() if code else default_region()
    if region is None:
        raise ApiProblem(422, errors={"region": ["Нет такого региона."]})
    return region


def _tokens(pair: api_tokens.TokenPair) -> TokensOut:
    # No cache keeps it: the API middleware marks every answer no-store (RFC 6749 §5.1 asks it).
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


def _second_factor_detail(methods: list[str]) -> str:
    if "totp" in methods:
        detail = SECOND_FACTOR_APP
    elif "sms" in methods:
        detail = SECOND_FACTOR_SMS
    else:
        return SECOND_FACTOR_RECOVERY
    return detail + (OR_RECOVERY if "recovery_code" in methods else "")


def _retry_after(until) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil((until - timezone.now()).total_seconds())))}


def _refused(result, region: Region) -> ApiProblem:
    if result.outcome is Outcome.LOCKED:
        wait = max(1, math.ceil((result.locked_until - timezone.now()).total_seconds()))
        return ApiProblem(429, locked_message(result.locked_until), headers={"Retry-After": str(wait)})
    if result.outcome is Outcome.NOT_SERVED:
        return ApiProblem(403, NOT_SERVED.format(phone=region.contact_phone))
    if result.outcome is Outcome.OBJECT_NOT_FOUND:
        return ApiProblem(400, OBJECT_NOT_FOUND.format(phone=region.contact_phone))
    return ApiProblem(400, INVALID)


@router.post(
    "/token",
    auth=None,
    response={200: TokensOut, 401: SecondFactorRequired, **problem_responses(400, 403, 422, 429)},
    summary="Вход: токены по логину и паролю",
    description="Если у пользователя включён вход с кодом подтверждения, ответ — 401 с типом "
    f"`{SECOND_FACTOR_TYPE}`, `mfa_token` и `methods`: код отправьте на `/auth/token/second-factor` "
    "(код по SMS сначала запросите на `/auth/token/second-factor/sms`).",
)
@sensitive_variables("payload")
def sign_in(request: HttpRequest, payload: SignInIn):
    region = _region(payload.region)
    result = api_tokens.sign_in(payload.identifier, payload.password, region, client_ip(request))
    if result.second_factor_token:
        methods = second_factor.methods(result.login.user)
        extra = {"mfa_token": result.second_factor_token, "methods": methods}
        raise ApiProblem(401, _second_factor_detail(methods), type=SECOND_FACTOR_TYPE, extra=extra)
    if result.tokens is None:
        raise _refused(result.login, region)
    return _tokens(result.tokens)


@router.post(
    "/token/second-factor",
    auth=None,
    response={200: TokensOut, **problem_responses(400, 422, 429)},
    summary="Вход: второй шаг — код из приложения, из SMS или резервный код",
)
@sensitive_variables("payload")
def second_factor_step(request: HttpRequest, payload: SecondFactorIn):
    try:
        check, pair = api_tokens.complete_sign_in(payload.mfa_token, payload.code, client_ip(request))
    except api_tokens.InvalidToken:
        raise ApiProblem(400, CHALLENGE_INVALID, errors={"mfa_token": [CHALLENGE_INVALID]}) from None
    if check.outcome is second_factor.Outcome.LOCKED:
        raise ApiProblem(429, locked_message(check.locked_until), headers=_retry_after(check.locked_until))
    if pair is None:
        raise ApiProblem(400, CODE_INVALID, errors={"code": [CODE_INVALID]})
    return _tokens(pair)


@router.post(
    "/token/second-factor/sms",
    auth=None,
    response={204: None, **problem_responses(400, 422, 429)},
    summary="Вход: код по SMS для второго шага",
    description="Для тех, у кого включены коды по SMS (`methods` ответа 401 содержит `sms`): код придёт "
    "на телефон из профиля. Новый код — не чаще, чем разрешено для SMS-кодов; иначе 429 и `Retry-After`.",
)
def second_factor_sms(request: HttpRequest, payload: SmsCodeIn):
    try:
        api_tokens.send_sign_in_code(payload.mfa_token, client_ip(request))
    except api_tokens.InvalidToken:
        raise ApiProblem(400, CHALLENGE_INVALID, errors={"mfa_token": [CHALLENGE_INVALID]}) from None
    except second_factor.NoSmsCodes:
        raise ApiProblem(400, NO_SMS) from None
    except CodeThrottled as throttled:
        local = timezone.localtime(throttled.retry_at).strftime("%H:%M:%S")
        raise ApiProblem(429, SMS_THROTTLED.format(time=local), headers=_retry_after(throttled.retry_at)) from None
    return Status(204, None)


@router.post(
    "/refresh", auth=None, response={200: TokensOut, **problem_responses(400, 422)}, summary="Новая пара токенов"
)
def refresh(request: HttpRequest, payload: RefreshIn):
    try:
        pair = api_tokens.refresh(payload.refresh_token)
    except api_tokens.InvalidToken:
        raise ApiProblem(400, REFRESH_INVALID) from None
    return _tokens(pair)


@router.post("/logout", auth=token_auth, response={204: None, **problem_responses(401)}, summary="Выход")
def sign_out(request: HttpRequest):
    api_tokens.sign_out(request.auth)
    return Status(204, None)
