"""Dead API tokens and sign-ins are deleted after 30 days (a mobile app's sign-in leaves two
rows every 15 minutes); live ones stay."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from kabinet.identity import api_tokens
from kabinet.identity.models import ApiSession, ApiSessionToken, PersonalAccessToken
from tests.factories import access_token, api_token


def test_housekeeping_deletes_what_is_long_dead(customer, account, settings):
    live_pat = api_token(customer)
    api_token(customer)  # revoked long ago, below
    access_token(customer)  # a live sign-in
    old = timezone.now() - timedelta(days=31)
    PersonalAccessToken.objects.exclude(token_hash=api_tokens._hash(live_pat)).update(revoked_at=old)
    dead = ApiSession.objects.create(user=customer, created_at=old)
    ApiSessionToken.objects.create(session=dead, kind="refresh", token_hash="x" * 64, expires_at=old)

    out = StringIO()
    call_command("identity_housekeeping", stdout=out)
    assert "stale API tokens and sign-ins deleted: 3" in out.getvalue()  # a token, its session, a PAT
    assert PersonalAccessToken.objects.count() == 1 and ApiSession.objects.count() == 1
    assert ApiSessionToken.objects.count() == 2  # the live sign-in's pair
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("purge_api_tokens")]
    assert entry["schedule"] == 86400.0
