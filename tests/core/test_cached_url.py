"""{% url %} with reversed URLs kept per process (core.templatetags.cached_url): the same URLs
as Django's tag, and a page shown again reverses nothing."""

from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, URLResolver, reverse
import pytest

from tests.factories import customer_login


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_same_urls_as_djangos_tag():
    assert render("{% url 'portal:home' %}") == reverse("portal:home")
    assert render("{% url 'portal:pay' 12 %}") == reverse("portal:pay", args=[12])
    pay = reverse("portal:pay", args=[7])
    assert render("{% url 'portal:pay' pk %}|{% url 'portal:pay' pk %}", pk=7) == f"{pay}|{pay}"
    assert render("{% url name account_id=7 %}", name="portal:pay") == pay
    assert render("{% url 'portal:pay' 8 %}") == reverse("portal:pay", args=[8])
    assert render("{% url 'portal:nothing' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'portal:nothing' %}")


def test_a_page_shown_again_reverses_nothing(client, customer, monkeypatch):
    customer_login(client, customer)
    home = reverse("portal:home")
    assert client.get(home).status_code == 200
    calls = []
    walk = URLResolver._reverse_with_prefix

    def counted(self, lookup_view, *args, **kwargs):
        calls.append(lookup_view)
        return walk(self, lookup_view, *args, **kwargs)

    monkeypatch.setattr(URLResolver, "_reverse_with_prefix", counted)
    assert client.get(home).status_code == 200
    assert calls == []


def test_a_name_in_another_urlconf_gets_that_urlconfs_path():
    """The same name under another path: a URL kept from the first URLconf would be wrong."""
    before = render("{% url 'portal:pay' 7 %}")
    assert before == reverse("portal:pay", args=[7])
    with override_settings(ROOT_URLCONF="tests.core.urls_moved"):
        moved = render("{% url 'portal:pay' 7 %}")
        assert moved == reverse("portal:pay", args=[7]) == "/moved" + before
    assert render("{% url 'portal:pay' 7 %}") == before


def test_arguments_equal_but_of_another_type_are_another_key():
    """True == 1 and hash alike: a URL kept for 1 must not answer for True, which Django's tag
    does not reverse into the same path."""
    one = render("{% url 'portal:pay' 1 %}")
    assert one == reverse("portal:pay", args=[1])
    assert render("{% url 'portal:pay' True as link %}[{{ link }}]") == "[]"
    assert render("{% url 'portal:pay' account_id=1 %}") == one
    assert render("{% url 'portal:pay' account_id=True as link %}[{{ link }}]") == "[]"
