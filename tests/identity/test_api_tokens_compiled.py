"""The API's token check and account list run SQL compiled once per process (core.compiled):
they must find what the ORM's querysets find, in every case the rules tell apart."""

from datetime import timedelta
import hashlib

from django.db.models import Model
from django.utils import timezone
import pytest

from kabinet.api.routers.accounts import card_accounts, card_query
from kabinet.billing.balances import summaries_from
from kabinet.core.compiled import Compiled, sentinel
from kabinet.identity import api_tokens
from kabinet.identity.models import ApiSession, ApiSessionToken, PersonalAccessToken, User
from tests.factories import access_token, api_token, make_account, make_billed, make_customer, make_staff


def fields(obj: Model | None) -> dict | None:
    return None if obj is None else {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def agree(secret: str) -> api_tokens.Principal | None:
    """The principal from the compiled query, after checking it against the ORM's queryset."""
    token_hash, now = hashlib.sha256(secret.encode()).hexdigest(), timezone.now()
    build = api_tokens._access_tokens if secret.startswith("kba_") else api_tokens._personal_tokens
    expected = next(iter(build(token_hash, now)), None)
    principal = api_tokens.authenticate(secret)
    got = principal.token if principal else None
    assert fields(got) == fields(expected)
    if expected is not None:
        assert fields(principal.user) == fields(User.objects.get(pk=principal.user.pk))
    return principal


@pytest.fixture
def other(sverdlovsk):
    return make_account(sverdlovsk, "6601000099", house="7")


def test_personal_tokens_agree(customer, account):
    live = api_token(customer, account)
    assert agree(live) is not None

    expired = api_token(customer, account)
    PersonalAccessToken.objects.filter(token_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert agree(expired) is None

    revoked = api_token(customer, account)
    api_tokens.revoke_personal_tokens(PersonalAccessToken.objects.filter(user=customer))
    assert agree(revoked) is None and agree(live) is None

    endless = api_token(customer, account, lifetime="none")
    assert agree(endless) is not None
    assert agree("kbp_unknown") is None


def test_inactive_and_staff_users_are_refused_alike(customer, account, sverdlovsk):
    secret = api_token(customer, account)
    session = access_token(customer)
    assert agree(secret) is not None and agree(session) is not None
    for change in ({"is_active": False}, {"is_staff": True}, {"is_superuser": True}):
        User.objects.filter(pk=customer.pk).update(**change)
        assert agree(secret) is None and agree(session) is None
        User.objects.filter(pk=customer.pk).update(is_active=True, is_staff=False, is_superuser=False)
        assert agree(secret) is not None and agree(session) is not None
    # A back-office role (registered by appeals as an SQL check) refuses the same way.
    role = make_staff("operator@example.ru", "operator", sverdlovsk)
    role_secret = api_tokens.open_session(role.user).access_token
    assert agree(role_secret) is None


def test_access_tokens_agree(customer):
    live = access_token(customer)
    assert agree(live).kind == "access"
    token = ApiSessionToken.objects.get(token_hash=hashlib.sha256(live.encode()).hexdigest())
    ApiSessionToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert agree(live) is None

    revoked = access_token(customer)
    api_tokens.revoke_sessions(ApiSession.objects.filter(user=customer), "logout")
    assert agree(revoked) is None
    # A refresh token is no access token, whichever query is asked.
    refresh = api_tokens.open_session(customer).refresh_token
    assert api_tokens.authenticate(refresh) is None


def cards(summaries) -> list[tuple]:
    return [
        (s.account.pk, s.account.number, s.account.region.code, s.balance, s.due, s.last_payment and s.last_payment.pk)
        for s in summaries
    ]


def test_account_lists_agree(customer, account, other, sverdlovsk):
    from kabinet.identity.models import AccountLink

    AccountLink.objects.create(user=customer, account=other)
    stranger = make_account(sverdlovsk, "6601000077", house="9")
    make_customer("+79120000077", stranger)
    make_billed(account)
    today = timezone.localdate()
    scoped = api_tokens.authenticate(api_token(customer, other))
    everything = api_tokens.authenticate(api_token(customer))
    signed_in = api_tokens.authenticate(access_token(customer))
    both = sorted([account.pk, other.pk])
    for principal, expected in ((scoped, [other.pk]), (everything, both), (signed_in, both)):
        compiled = summaries_from(card_accounts(principal), today)
        by_orm = summaries_from(card_query(api_tokens.accounts_of(principal)), today)
        assert cards(compiled) == cards(by_orm)
        assert sorted(c.account.pk for c in compiled) == expected
    assert cards(summaries_from(card_accounts(everything), today))[0][3] is not None  # the billed one's balance
    AccountLink.objects.filter(user=customer, account=other).delete()
    assert [c.account.pk for c in card_accounts(scoped)] == []


def test_a_sentinel_must_reach_the_sql(db):
    escaped = Compiled(lambda name: User.objects.filter(first_name__contains=name), sentinel.text(0))
    with pytest.raises(ValueError, match="does not reach the SQL"):
        escaped.instances("Анна")
