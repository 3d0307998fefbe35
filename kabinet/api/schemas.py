"""Schemas more than one router shares."""

from typing import Literal

from ninja import Field, Schema


class Problem(Schema):
    """RFC 9457 problem details: every error of the API has this shape."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]]


def problem_responses(*statuses: int) -> dict[int, type[Problem]]:
    """`response={200: Out, **problem_responses(401, 404)}`: the errors an operation documents."""
    return {status: Problem for status in statuses}


class SecondFactorRequired(Problem):
    """401 of the sign-in when the user has a second factor: send the code with `mfa_token`."""

    mfa_token: str
    methods: list[Literal["totp", "sms", "recovery_code"]] = Field(
        description="Чем можно подтвердить вход: код из приложения, код по SMS (запросите на "
        "/auth/token/second-factor/sms), резервный код"
    )
