"""The footer's contact centre (billing.registry.default_contacts): read once per process, never
shown stale after a region is saved or deleted, in whichever process that happened."""

from contextlib import contextmanager
import time

from django.core.cache import cache, caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from kabinet.billing import registry
from kabinet.billing.models import Region
from tests.factories import PERM, make_region

PAGE = reverse("portal:consent")  # public, with the footer


def footer_reads(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(PAGE).content.decode()
    footer = page[page.index('<footer class="site-footer">') :]
    return footer, sum("billing_region" in q["sql"] for q in queries)


def test_read_once_then_from_the_process(client, sverdlovsk):
    footer, reads = footer_reads(client)
    assert sverdlovsk.contact_phone in footer and reads == 1
    footer, reads = footer_reads(client)
    assert sverdlovsk.contact_phone in footer and reads == 0


def test_an_edit_shows_on_the_next_page(client, sverdlovsk):
    footer_reads(client)
    sverdlovsk.contact_phone = "8-800-111-22-33"
    sverdlovsk.feedback_url = "https://example.ru/new-feedback"
    sverdlovsk.save()  # what /admin/ does
    footer, _ = footer_reads(client)
    assert "8-800-111-22-33" in footer and "tel:88001112233" in footer and "https://example.ru/new-feedback" in footer


def test_another_default_or_a_deleted_region_shows_on_the_next_page(client, sverdlovsk):
    assert sverdlovsk.is_default
    perm = make_region(PERM, is_default=False, contact_phone="8-342-000-00-00")
    footer_reads(client)
    Region.objects.filter(pk=sverdlovsk.pk).update(is_default=False)  # no signal: the save below sends one
    perm.is_default = True
    perm.save()
    assert "8-342-000-00-00" in footer_reads(client)[0]
    perm.delete()
    assert sverdlovsk.contact_phone in footer_reads(client)[0]


def test_a_read_between_the_edit_and_its_commit_is_not_kept(sverdlovsk, commit_queue):
    """The version changes at the save and again at the commit: contacts read in between (from
    the rows as they were before the commit, in another process) are read again after it."""
    registry.default_contacts()
    sverdlovsk.contact_phone = "8-800-111-22-33"
    sverdlovsk.save()
    between = cache.get(registry.CONTACTS_VERSION_KEY)
    commit_queue.run()
    assert cache.get(registry.CONTACTS_VERSION_KEY) != between


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic() as the test sets it: `clock.now += seconds`."""

    class Clock:
        # Exact in binary, as the steps the tests take: from a reading such as 3994.26, 299 s
        # then 1 s later could come out as 299.99999999999994 and not yet past the age.
        now = 1_000_000.0

    monkeypatch.setattr(time, "monotonic", lambda: Clock.now)
    return Clock


def test_a_lost_version_reads_afresh(sverdlovsk, clock):
    registry.default_contacts()
    Region.objects.filter(pk=sverdlovsk.pk).update(contact_phone="8-800-111-22-33")
    clock.now += registry.CONTACTS_RECHECK
    assert registry.default_contacts().phone == sverdlovsk.contact_phone  # no signal: kept (for a while)
    cache.delete(registry.CONTACTS_VERSION_KEY)  # evicted, or Redis restarted
    clock.now += registry.CONTACTS_RECHECK
    assert registry.default_contacts().phone == "8-800-111-22-33"


def test_another_process_edit_shows_within_the_recheck_interval(sverdlovsk, clock, django_assert_num_queries):
    """The version is asked for at most once per CONTACTS_RECHECK: in between no round trip to
    the shared cache, after it an edit made in another process (a new version) is read."""
    registry.default_contacts()
    Region.objects.filter(pk=sverdlovsk.pk).update(contact_phone="8-800-111-22-33")
    cache.set(registry.CONTACTS_VERSION_KEY, "another process saved a region", timeout=None)
    clock.now += registry.CONTACTS_RECHECK - 0.25
    with django_assert_num_queries(0):
        assert registry.default_contacts().phone == sverdlovsk.contact_phone
    clock.now += 0.25
    assert registry.default_contacts().phone == "8-800-111-22-33"


def test_the_version_is_not_asked_for_within_the_recheck_interval(sverdlovsk, clock, monkeypatch):
    registry.default_contacts()
    asked = []
    shared_version = registry._shared_version
    monkeypatch.setattr(registry, "_shared_version", lambda: asked.append(1) or shared_version())
    for _ in range(3):
        registry.default_contacts()
    assert asked == []
    clock.now += registry.CONTACTS_RECHECK
    registry.default_contacts()
    registry.default_contacts()
    assert asked == [1]


def test_without_regions_the_federal_number(db):
    assert registry.default_contacts() == registry.Contacts(registry.FALLBACK_CONTACT_PHONE, "88007001032", "#")


@contextmanager
def redis_cache(url: str):
    settings = {"BACKEND": "kabinet.core.redis_cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "footer-test"}
    with override_settings(CACHES={"default": settings}):
        caches["default"].clear()
        yield
        caches["default"].clear()
        caches["default"].close()


@pytest.mark.django_db
def test_with_redis_an_edit_shows_on_the_next_page(client, sverdlovsk, live_redis):
    with redis_cache(f"{live_redis}/14"):
        assert sverdlovsk.contact_phone in footer_reads(client)[0]
        assert footer_reads(client)[1] == 0
        sverdlovsk.contact_phone = "8-800-111-22-33"
        sverdlovsk.save()
        assert "8-800-111-22-33" in footer_reads(client)[0]


def test_kept_contacts_are_read_again_after_their_max_age(sverdlovsk, clock):
    """An edit that sends no signal (raw SQL, a data migration) shows after CONTACTS_MAX_AGE."""
    registry.default_contacts()
    Region.objects.filter(pk=sverdlovsk.pk).update(contact_phone="8-800-111-22-33")
    clock.now += registry.CONTACTS_MAX_AGE - 1
    assert registry.default_contacts().phone == sverdlovsk.contact_phone
    clock.now += 1
    assert registry.default_contacts().phone == "8-800-111-22-33"


@pytest.mark.django_db
def test_pages_show_the_footer_while_redis_is_down(client, sverdlovsk, clock):
    """The shared cache unreachable (nothing listens on port 1): the footer is read from the
    database on each page (once the kept copy is due a check), and a page still opens."""
    registry.default_contacts()  # kept while the cache answered
    Region.objects.filter(pk=sverdlovsk.pk).update(contact_phone="8-800-111-22-33")
    clock.now += registry.CONTACTS_RECHECK
    down = {"BACKEND": "kabinet.core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES={"default": down}):
        for _ in range(2):
            response = client.get(reverse("portal:login"))
            assert response.status_code == 200
            assert "8-800-111-22-33" in response.content.decode()
            footer, reads = footer_reads(client)
            assert "8-800-111-22-33" in footer and reads == 1
        caches["default"].close()
