"""Which door a session came through. Customers sign in at the portal's login, employees at
the back office's: the back office admits only sessions opened at its own door, so neither a
session from the customers' login nor a customer's stolen session cookie ever reaches it."""

from enum import Enum

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest

from kabinet.identity.models import User

SESSION_KEY = "kabinet_door"


class Door(Enum):
    PORTAL = "portal"
    BACKOFFICE = "backoffice"


def enter(request: HttpRequest, user: User, door: Door) -> None:
    """Log the user in (Django rotates the session key) and note the door in the session."""
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session[SESSION_KEY] = door.value


def came_through(request: HttpRequest, door: Door) -> bool:
    return request.session.get(SESSION_KEY) == door.value
