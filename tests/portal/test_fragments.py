"""portal.fragments: parts of pages kept rendered, keyed by a digest of the data they show and
of the code that draws them."""

from pathlib import Path
import re

from django.core.cache import caches
from django.db.models import Count
from django.template.loader import get_template
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import SafeString
import pytest

from kabinet.billing.models import PersonalAccount
from kabinet.portal import fragments


def test_the_digest_follows_every_loaded_value(account):
    def read():
        return PersonalAccount.objects.select_related("premises", "region").annotate(n=Count("pk")).get(pk=account.pk)

    first = fragments.digest_of(read(), [1, "a"], {"k": read()})
    assert fragments.digest_of(read(), [1, "a"], {"k": read()}) == first  # equal data, equal digest
    changed = read()
    changed.number = "000"
    assert fragments.digest_of(changed, [1, "a"], {"k": read()}) != first
    annotated = read()
    annotated.n = 2
    assert fragments.digest_of(annotated, [1, "a"], {"k": read()}) != first
    related = read()
    related.premises.flat = "999"
    assert fragments.digest_of(related, [1, "a"], {"k": read()}) != first
    assert fragments.digest_of(read(), [1, "b"], {"k": read()}) != first
    assert fragments.digest_of(read(), [1, "a"], {"k": related}) != first


def test_kept_html_draws_once_per_digest(db):
    drawn = []

    def draw(text):
        return lambda: drawn.append(text) or f"<p>{text}</p>"

    assert fragments.kept_html("test", "d1", draw("one")) == "<p>one</p>"
    assert fragments.kept_html("test", "d1", draw("two")) == "<p>one</p>"  # kept
    assert fragments.kept_html("test", "d2", draw("three")) == "<p>three</p>"
    assert fragments.kept_html("other", "d1", draw("four")) == "<p>four</p>"
    assert drawn == ["one", "three", "four"]


def test_kept_parts_come_back_as_drawn(db):
    """Several parts under one key, whatever they hold (the lengths' own separators, digits first,
    newlines, none at all), drawn once and then read back each as it was."""
    parts = ("", "3,4\n<p>7</p>\n", "", "ёж\n\n", "12")
    drawn = []

    def draw():
        drawn.append(1)
        return parts

    assert fragments.kept_parts("test", "d1", draw) == list(parts)
    assert fragments.kept_parts("test", "d1", draw) == list(parts)  # kept
    assert drawn == [1]
    assert all(isinstance(part, SafeString) for part in fragments.kept_parts("test", "d1", draw))


def test_a_release_draws_afresh(db, settings, tmp_path):
    """Any template or module changed changes the code's digest, and so every key."""
    (tmp_path / "kabinet" / "portal").mkdir(parents=True)
    template = tmp_path / "kabinet" / "portal" / "part.html"
    template.write_text("<p>{{ a }}</p>")
    settings.BASE_DIR = tmp_path
    fragments._code_digest.cache_clear()
    try:
        before = fragments._code_digest()
        template.write_text("<p>{{ a }}!</p>")
        fragments._code_digest.cache_clear()
        assert fragments._code_digest() != before
        drawn = []
        fragments.kept_html("test", "d", lambda: drawn.append(1) or "x")
        fragments._code_digest.cache_clear()
        template.write_text("<p>{{ a }}?</p>")
        fragments.kept_html("test", "d", lambda: drawn.append(2) or "y")
        assert drawn == [1, 2]
    finally:
        fragments._code_digest.cache_clear()


def test_a_one_to_one_loaded_both_ways_is_digested_once(customer, account):
    """An autopayment read with its setup payment: the payment's cache points back at it."""
    from decimal import Decimal

    from kabinet.payments.autopay_models import AutoPayment
    from tests.factories import make_online_payment

    payment = make_online_payment(account, "100.00", status="pending")
    AutoPayment.objects.create(account=account, user=customer, day=15, cap=Decimal("5000.00"), setup_payment=payment)

    def read():
        return AutoPayment.objects.select_related("setup_payment").get(account=account)

    first = fragments.digest_of(read())
    assert fragments.digest_of(read()) == first
    paid = read()
    paid.setup_payment.status = "succeeded"
    assert fragments.digest_of(paid) != first


# --- What a kept part may be drawn with --------------------------------------------------------
KEPT_TEMPLATES = [
    "portal/_cards.html",
    "portal/appeals/_list.html",
    "portal/accounts/_account.html",
    "portal/accounts/_history.html",
]
# Per request or per visitor, never in a part kept for anyone: drawn without a request, these
# would come out empty (a form without its token) rather than fail.
PER_REQUEST = re.compile(r"csrf_token|csp_nonce|\brequest\b|\bmessages\b|\buser\b|\bperms\b")


def included(name: str) -> list[str]:
    """The template and every template it includes, as written in their sources."""
    source = Path(get_template(name).origin.name).read_text()
    names = re.findall(r'{%\s*include\s+"([^"]+)"', source)
    return [name, *(inner for include in names for inner in included(include))]


@pytest.mark.parametrize("name", KEPT_TEMPLATES)
def test_kept_parts_read_nothing_per_request(name):
    for template in included(name):
        source = re.sub(r"{#.*?#}", "", Path(get_template(template).origin.name).read_text())  # not comments
        assert not PER_REQUEST.findall(source), f"{template} (kept in {name})"


def test_pages_open_with_the_cache_down(client, customer, account, settings):
    """Nothing listens on port 1: every kept part is drawn, the failure logged, the page 200.
    The session is read from the database here: Django's `cached_db` engine itself fails
    without its cache (it stores what it read back into it), which is not this test's part."""
    from tests.factories import customer_login, make_billed

    make_billed(account)
    customer_login(client, customer)
    down = {"BACKEND": "kabinet.core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}  # fmt: skip
    with override_settings(CACHES={"default": down}, SESSION_ENGINE="django.contrib.sessions.backends.db"):
        for name, args in (("portal:home", []), ("portal:appeals", []), ("portal:account", [account.pk])):
            response = client.get(reverse(name, args=args))
            assert response.status_code == 200, name
        caches["default"].close()


def test_kept_parts_draw_from_what_was_digested_without_a_query(customer, account, reason, django_assert_num_queries):
    """Drawn from the instances the key was taken from: a value read later (a relation not
    selected with them) would be one the key never saw."""
    from django.utils import timezone

    from kabinet.appeals.services import customer_appeal_page
    from tests.factories import make_appeal, make_billed

    make_billed(account)
    make_appeal(customer, account, reason, files=0)
    page = customer_appeal_page(customer, "", 1, 10)
    with django_assert_num_queries(1):  # the cards' own statement: drawing them reads nothing more
        assert "660100000001" in fragments.cards_html(customer, timezone.localdate(), True)
    with django_assert_num_queries(0):
        assert "Номер" in fragments.appeal_list_html(customer, page, "", "")
