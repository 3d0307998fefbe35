"""Every API error is an RFC 9457 problem: `application/problem+json` with
{type, title, status, detail (Russian), errors: {field: [messages]}}.

Routers raise ApiProblem; api.py turns ninja's own errors (validation, auth) into the same
shape, and the API middleware does it for what Django answers itself (an unknown path, a
method the path does not take, a crash)."""

from http import HTTPStatus
import json

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"

# What a status means, said to a person.
DETAILS = {
    400: "Запрос не удалось разобрать.",
    401: "Нужен действующий токен доступа: войдите заново или создайте токен в профиле.",
    403: "Этому токену действие не разрешено.",
    404: "Не найдено.",
    405: "Этот метод здесь не поддерживается.",
    406: "Ответ бывает только в JSON.",
    413: "Запрос слишком большой.",
    415: "Ожидается тело запроса в JSON.",
    422: "Проверьте данные запроса.",
    429: "Слишком много запросов. Повторите позже.",
    500: "Ошибка на сервере. Мы уже знаем о ней; повторите запрос позже.",
    503: "Сервис временно недоступен. Повторите позже.",
}


class ApiProblem(Exception):
    """Raise from a router to answer with a problem. `errors` maps a field to its messages."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        *,
        type: str = "about:blank",
        extra: dict | None = None,
    ):
        self.status = status
        self.type = type
        self.extra = extra or {}  # RFC 9457 extension members (e.g. `mfa_token`)
        self.headers = headers or {}
        self.detail = detail or DETAILS.get(status) or HTTPStatus(status).phrase
        self.errors = errors or {}
        super().__init__(status, self.detail)


def body(status: int, detail: str | None = None, errors: dict[str, list[str]] | None = None, **more) -> dict:
    problem = ApiProblem(status, detail, errors, **more)
    return {
        # about:blank unless the status alone does not say it (RFC 9457 §4.2.1); title is its phrase
        "type": problem.type,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": problem.detail,
        "errors": problem.errors,
        **problem.extra,
    }


def response(
    status: int, detail: str | None = None, errors: dict[str, list[str]] | None = None, **more
) -> HttpResponse:
    content = json.dumps(body(status, detail, errors, **more), ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE)


def from_exception(problem: ApiProblem) -> HttpResponse:
    answer = response(problem.status, problem.detail, problem.errors, type=problem.type, extra=problem.extra)
    for name, value in problem.headers.items():
        answer[name] = value
    return answer
