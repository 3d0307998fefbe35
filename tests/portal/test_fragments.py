"""portal.fragments: parts of pages kept rendered, keyed by a digest of the data they show and
of the code that draws them."""

from django.db.models import Count

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
