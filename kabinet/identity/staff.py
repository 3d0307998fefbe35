"""Who is an employee. Employees sign in at their own doors (the back office, the admin site)
and never at the customers' login, so a customer-side weakness (a phished customer password
page, a looser limit) never opens a staff session.

Back-office roles live in appeals (who may handle an appeal is an appeals rule), and identity
must not import appeals: the app that grants such a role registers a check here when Django
starts (appeals does in its AppConfig.ready). A flag on User kept in step with the role was the
other way; it would copy the role, drift when either is edited alone, and `is_staff` also
opens the admin site's door, which an operator has no use for.
"""

from collections.abc import Callable

from kabinet.identity.models import User

_role_checks: list[Callable[[User], bool]] = []


def register_staff_check(check: Callable[[User], bool]) -> None:
    """Add a rule that makes a user an employee (e.g. holding a back-office role)."""
    if check not in _role_checks:
        _role_checks.append(check)


def is_staff_member(user: User) -> bool:
    return user.is_staff or user.is_superuser or any(check(user) for check in _role_checks)
