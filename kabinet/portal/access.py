"""Who may open the customer pages: a session opened at the customers' login. Employees have
their own doors (identity.doors): a back-office or admin session is not a customer's, so it
never reaches a customer page, just as a customer's session never reaches the back office."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from kabinet.core.net import return_path
from kabinet.identity.doors import Door, came_through


def is_customer_session(request: HttpRequest) -> bool:
    return came_through(request, Door.PORTAL)


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, for the customers' door: anyone else goes to the customers' login."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_customer_session(request):
            return view(request, *args, **kwargs)
        return redirect_to_login(return_path(request, reverse("portal:home")))

    return wrapped
