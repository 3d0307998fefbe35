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
from functools import reduce
import operator

from django.db.models import Exists, Q

from kabinet.identity.models import User

# Each check says in SQL whether the user whose id is at a path of the outer query holds a
# role (an Exists over the role's table), so the API's token lookup asks it in the same query
# as the token (bench/api.py), and `is_staff_member` asks the same condition: one rule, not a
# Python check and an SQL copy of it.
_role_checks: list[Callable[[str], Exists]] = []


def register_staff_check(check: Callable[[str], Exists]) -> None:
    """Add a rule that makes a user an employee (e.g. holding a back-office role): given the
    path of the user's id in the outer query ("pk", "user", "session__user"), an Exists."""
    if check not in _role_checks:
        _role_checks.append(check)


def staff_checks() -> tuple[Callable[[str], Exists], ...]:
    """The checks registered so far: a query compiled with `staff_condition` (core.compiled)
    compiles again when they change."""
    return tuple(_role_checks)


def staff_condition(user: str = "") -> Q:
    """`is_staff_member` as a condition on a query that reaches the user at `user` ("" for a
    query of users, "user" for a model with a `user` key)."""
    prefix = f"{user}__" if user else ""
    flags = Q(**{f"{prefix}is_staff": True}) | Q(**{f"{prefix}is_superuser": True})
    return reduce(operator.or_, [Q(check(user or "pk")) for check in _role_checks], flags)


def is_staff_member(user: User) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    roles = [Q(check("pk")) for check in _role_checks]
    return bool(roles) and User.objects.filter(reduce(operator.or_, roles), pk=user.pk).exists()
