"""The lockout under concurrency (issue 11, point 4): attempts are counted before the password
is checked, so parallel guesses cannot pass the limit while the hash runs.

Each test holds every request that reaches the guarded check (the password, the house number)
until the test releases them, as a slow hash would; meanwhile more requests come in. Counted
after the check, all of them reached it and the right password got in; counted before, at
most KABINET_FAILURES_PER_IDENTIFIER do, and the right password after the limit is refused.
"""

from concurrent.futures import ThreadPoolExecutor
import threading

from django.conf import settings
from django.db import connection
import pytest

from kabinet.core import ratelimit
from kabinet.core.models import AuditEvent
from kabinet.identity import login, profile, registration
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.login import Outcome
from kabinet.identity.models import User
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)
WRONG = "not-the-password"
LIMIT = 10  # settings.KABINET_FAILURES_PER_IDENTIFIER, asserted below
TIMEOUT = 30


class HeldCheck:
    """Wraps the guarded check: every call is counted and held until `release()`. `arrived()`
    waits until n requests have either reached the check or returned without it."""

    def __init__(self, check):
        self.check = check
        self.calls: list[tuple] = []
        self._arrivals = threading.Semaphore(0)
        self._open = threading.Event()
        self._reached = threading.local()

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        self._reached.flag = True
        self._arrivals.release()
        assert self._open.wait(TIMEOUT)
        return self.check(*args, **kwargs)

    def run(self, work):
        """Run `work()` in this thread: one arrival, whether it reaches the check or not."""
        self._reached.flag = False
        try:
            return work()
        except Exception as exc:  # collected: the test decides what is expected
            return exc
        finally:
            if not self._reached.flag:
                self._arrivals.release()
            connection.close()

    def arrived(self, n: int) -> None:
        for _ in range(n):
            assert self._arrivals.acquire(timeout=TIMEOUT), "a request neither reached the check nor returned"

    def release(self) -> None:
        self._open.set()


def race(held: HeldCheck, wrong, right, before: int = 26, after: int = 3) -> tuple[list, object]:
    """`before` wrong guesses at once, held at the check; then the right one (request 27); then
    `after` more wrong ones; then the check is let go. Returns the wrong ones' results and the
    right one's."""
    with ThreadPoolExecutor(before + 1 + after) as pool:
        first = [pool.submit(held.run, wrong) for _ in range(before)]
        held.arrived(before)
        right_one = pool.submit(held.run, right)
        held.arrived(1)
        last = [pool.submit(held.run, wrong) for _ in range(after)]
        held.arrived(after)
        held.release()
        return [f.result(TIMEOUT) for f in first + last], right_one.result(TIMEOUT)


@pytest.fixture
def held_password(monkeypatch) -> HeldCheck:
    held = HeldCheck(User.check_password)
    monkeypatch.setattr(User, "check_password", lambda user, raw: held(user, raw))  # a method: bound
    return held


def test_the_limit_is_ten():
    assert settings.KABINET_FAILURES_PER_IDENTIFIER == LIMIT


def test_thirty_parallel_logins_check_at_most_ten_passwords(customer, sverdlovsk, held_password):
    def attempt(password):
        return lambda: login.authenticate_customer("anna@example.ru", password, sverdlovsk, "10.0.0.1")

    wrong, right = race(held_password, attempt(WRONG), attempt(PASSWORD))
    assert len(held_password.calls) <= LIMIT
    failures = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count()
    assert failures == len(held_password.calls)
    assert right.outcome is Outcome.LOCKED and right.user is None
    assert all(result.outcome in (Outcome.INVALID, Outcome.LOCKED) for result in wrong)
    # The lock holds afterwards, for the person's other identifiers as well.
    held_password.release()
    again = login.authenticate_customer("+79120000001", PASSWORD, sverdlovsk, "10.0.0.2")
    assert again.outcome is Outcome.LOCKED


def test_parallel_logins_at_a_staff_door_are_bounded_too(customer, held_password):
    def attempt(password):
        return lambda: login.authenticate_by_contact(
            "anna@example.ru", password, "10.0.0.1", scope="admin", allowed=lambda user: True
        )

    _, right = race(held_password, attempt(WRONG), attempt(PASSWORD))
    assert len(held_password.calls) <= LIMIT
    assert right.outcome is Outcome.LOCKED


def test_parallel_password_changes_check_at_most_ten_passwords(customer, held_password):
    def change(old):
        return lambda: profile.change_password(
            User.objects.get(pk=customer.pk), old, "New-Ural-energy-2027", "10.0.0.1"
        )

    wrong, right = race(held_password, change(WRONG), change(PASSWORD))
    assert len(held_password.calls) <= LIMIT
    assert isinstance(right, ratelimit.Locked)
    assert all(isinstance(result, FieldRejected | ratelimit.Locked) for result in wrong)
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_parallel_house_guesses_check_at_most_ten_houses(sverdlovsk, monkeypatch):
    """Registration's house check (profile.add_account shares the same counting; its check runs
    in a transaction, which SQLite would serialise anyway)."""
    make_account(sverdlovsk, "660100000077", house="7")
    held = HeldCheck(registration.check_linkable)
    monkeypatch.setattr(registration, "check_linkable", held)

    def guess(house):
        data = registration.RegistrationData(sverdlovsk, "660100000077", house, "+79120000077", "", PASSWORD)
        return lambda: registration.start_registration(data, "10.0.0.1")

    wrong, right = race(held, guess("99"), guess("7"))
    assert len(held.calls) <= LIMIT
    assert isinstance(right, ratelimit.Locked)
    assert all(isinstance(result, FieldRejected | ratelimit.Locked) for result in wrong)


@pytest.mark.django_db(transaction=False)
def test_losing_a_race_to_link_an_account_is_not_a_guess(customer, sverdlovsk, settings, monkeypatch):
    """Another customer linked the account between the check and the insert: the house was right,
    so the attempt is taken back, and the account's count does not lock it for its owner."""
    from django.db import IntegrityError

    from kabinet.identity.models import AccountLink

    settings.KABINET_FAILURES_PER_IDENTIFIER = 2
    make_account(sverdlovsk, "660100000078", house="9")

    def taken(**fields):
        raise IntegrityError("identity_accountlink_account_id_key")

    monkeypatch.setattr(AccountLink.objects, "create", taken)
    for _ in range(3):
        with pytest.raises(FieldRejected, match="уже зарегистрирован"):
            profile.add_account(customer, sverdlovsk, "660100000078", "9", "10.0.0.1")
