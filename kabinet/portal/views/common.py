"""Messages the portal's code pages share, and the answer to a GET of a form's target."""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format

from kabinet.core.wording import locked_message
from kabinet.identity import codes


def throttled_message(retry_at: datetime) -> str:
    return f"Новый код можно будет запросить после {date_format(timezone.localtime(retry_at), 'H:i:s')}."


def code_error(check: codes.Check) -> str:
    result = check.result
    if result is codes.CheckResult.WRONG:
        return f"Неверный код. Осталось попыток: {check.attempts_left}."
    if result is codes.CheckResult.EXPIRED:
        return "Срок действия кода истёк (10 минут). Нажмите «Отправить код повторно»."
    if result is codes.CheckResult.EXHAUSTED:
        return "Код введён неверно слишком много раз. Нажмите «Отправить код повторно»."
    if result is codes.CheckResult.LOCKED:
        return locked_message(check.locked_until)
    return "Этот код больше не действует. Запросите новый код."


def post_only(back_to: str) -> Callable:
    """A form's target that answers a GET (Back, a reload, the address bar kept after a
    rendered answer) with a redirect to its page rather than the browser's bare 405."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                response = redirect(back_to)
                add_never_cache_headers(response)  # it may follow a page with a CSRF token
                return response
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
