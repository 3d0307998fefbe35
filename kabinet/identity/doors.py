"""Which door a session came through. Customers sign in at the portal's login, employees at
the back office's or the admin site's: each staff door admits only sessions opened at it, so
neither a session from the customers' login nor a customer's stolen session cookie ever
reaches the back office or the admin site."""

from enum import Enum

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest

from kabinet.identity.models import User
from kabinet.identity.staff import is_staff_member

SESSION_KEY = "kabinet_door"


class Door(Enum):
    PORTAL = "portal"
    BACKOFFICE = "backoffice"
    ADMIN = "admin"


STAFF_DOORS = (Door.BACKOFFICE, Door.ADMIN)


def enter(request: HttpRequest, user: User, door: Door) -> None:
    """Log the user in (Django rotates the session key) and note the door in the session."""
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    note(request, door)


def note(request: HttpRequest, door: Door) -> None:
    """Note the door of a session a login view of Django's own (the admin's) has just opened."""
    request.session[SESSION_KEY] = door.value


def came_through(request: HttpRequest, door: Door) -> bool:
    if not request.user.is_authenticated:
        return False
    noted = request.session.get(SESSION_KEY)
    if noted is None:
        # Sessions opened before doors were noted carry none. A customer's such session stays
        # a customer's (logging every customer out for it would be rude); an employee's is
        # refused everywhere and they sign in again at their own door.
        return door is Door.PORTAL and not is_staff_member(request.user)
    return noted == door.value


def is_employee_session(request: HttpRequest) -> bool:
    """An employee is signed in: by who they are, or by a staff door of the session."""
    user = request.user
    return user.is_authenticated and (is_staff_member(user) or any(came_through(request, d) for d in STAFF_DOORS))
