"""Whether a user has a second factor on, read with the user's own row: the second-factor
middleware asks it on every signed-in request, and two more queries a request (one per device
table) were a third of a bare page's database work.

The answer is a live EXISTS over every confirmed django-otp device of the user, evaluated in the
same SELECT as the user, at the start of the request: no flag to keep up to date, so no way for a
device that appears or disappears (setup, turning off, /admin/, a bulk delete, the shell) to be
missed. The devices asked are `second_factor.factor_models`, the list `second_factor.is_on` asks
too: every django-otp device model but recovery codes."""

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from kabinet.core.compiled import Compiled, sentinel
from kabinet.identity.second_factor import FACTOR_ON_AT_LOAD, factor_models, is_on

# Where the user's row carries the answer; absent on a user read any other way, and dropped when
# the request turns a factor on or off (second_factor.forget_factor_answer).
ATTRIBUTE = FACTOR_ON_AT_LOAD


def with_factor_on(users: QuerySet) -> QuerySet:
    """`users` each with `ATTRIBUTE`: whether any confirmed second-factor device is theirs."""
    found = Q()
    for model in factor_models():
        found |= Q(Exists(model.objects.filter(user=OuterRef("pk"), confirmed=True)))
    return users.annotate(**{ATTRIBUTE: ExpressionWrapper(found, output_field=BooleanField())})


def user_with_factor_on(user_id: int):
    """The user with that id and `ATTRIBUTE`, or None: `with_factor_on`'s query, compiled once per
    process (core.compiled). Compiling its EXISTS clauses cost Django more than running the
    query (0.6 ms of a bare page's 1.4); the statement differs between requests only by the id."""
    found = _USER.instances(user_id)
    if not found:
        return None
    user = found[0]
    setattr(user, ATTRIBUTE, bool(getattr(user, ATTRIBUTE)))
    return user


_USER = Compiled(
    lambda user_id: with_factor_on(get_user_model()._default_manager.filter(pk=user_id)), sentinel.integer(0)
)


def factor_on(user) -> bool:
    """The answer read with the user's row when there is one, else asked now. Fail closed: only
    a row read by `with_factor_on` can skip the question."""
    known = getattr(user, ATTRIBUTE, None)
    if known is None:
        return is_on(user)
    return bool(known)
