"""{% once %} (core.templatetags.once): a piece drawn once per process for each value of its
keys. What may be inside is checked when the template compiles, and the layout's pieces drawn
once still show each customer their own name, token, section and region."""

from datetime import datetime
import re
from zoneinfo import ZoneInfo

from django.template import TemplateSyntaxError, engines
from django.test import Client, override_settings
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
import pytest

from kabinet.billing.registry import forget_contacts
from kabinet.core.templatetags.once import OnceNode
from tests.factories import customer_login, make_account, make_customer


def compile_(source: str):
    return engines["django"].from_string("{% load once %}" + source)


def render(source: str, **context) -> str:
    return compile_(source).render(context)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{% block b %}{% endblock %}", "block b"),
        ("{% csrf_token %}", "csrf_token"),
        ("{{ user }}", "user"),
        ("{% if user %}x{% endif %}", "user"),
        ("{% if section == user %}x{% endif %}", "user"),
        ("{{ section|upper }}", "section|upper"),
        ("{% url 'portal:pay' account.pk %}", "account.pk"),
        ("{% url 'portal:home' as link %}", "as link"),
        ("{% static name %}", "static name"),
        ('{% include "core/form_errors.html" %}', "include"),
        ("{% for x in section %}{% endfor %}", "for x in section"),
        ("{% now 'Y' %}", "now"),
    ],
)
def test_what_could_differ_between_requests_is_refused_when_compiled(body, named):
    with pytest.raises(TemplateSyntaxError, match=re.escape(named)):
        compile_("{% once section %}" + body + "{% endonce %}")


def test_a_key_is_a_plain_variable():
    with pytest.raises(TemplateSyntaxError, match="section\\|upper"):
        compile_("{% once section|upper %}{% endonce %}")
    with pytest.raises(TemplateSyntaxError, match="'x'"):
        compile_("{% once 'x' %}{% endonce %}")


def test_drawn_once_for_each_value_of_its_keys():
    source = (
        '{% once section flag %}<a href="{% url "portal:home" %}"{% if section == "home" %} aria-current="page"'
        '{% endif %}>{{ section }}</a>{% if not flag %} · {% static "core/logo.svg" %}{% endif %}{% endonce %}'
    )
    template = compile_(source)
    node = template.template.nodelist.get_nodes_by_type(OnceNode)[0]
    home = template.render({"section": "home", "flag": True})
    assert home == f'<a href="{reverse("portal:home")}" aria-current="page">home</a>'
    assert template.render({"section": "home", "flag": True}) == home
    assert len(node.drawings) == 1
    profile = template.render({"section": "profile", "flag": False})
    assert profile == f'<a href="{reverse("portal:home")}">profile</a> · /static/core/logo.svg'
    assert template.render({"section": "home", "flag": True}) == home
    assert len(node.drawings) == 2


def test_a_key_is_escaped_as_django_escapes_it():
    assert render("{% once name %}{{ name }}{% endonce %}", name="<b>&") == "&lt;b&gt;&amp;"
    source = "{% once name %}{{ name }}{% endonce %}"
    inner = engines["django"].from_string("{% load once %}" + source)
    both = "{% autoescape off %}{% include inner %}{% endautoescape %}|{% include inner %}"
    outer = engines["django"].from_string(both)
    assert outer.render({"inner": inner.template, "name": "<b>"}) == "<b>|&lt;b&gt;"


def test_equal_keys_of_another_type_are_drawn_apart():
    """1 == True and "<b>" == SafeString("<b>"), but each is drawn its own way."""
    template = compile_("{% once key %}{{ key }}{% endonce %}")
    assert template.render({"key": 1}) == "1"
    assert template.render({"key": True}) == "True"
    assert template.render({"key": "<b>"}) == "&lt;b&gt;"
    assert template.render({"key": mark_safe("<b>")}) == "<b>"
    assert template.render({"key": "<b>"}) == "&lt;b&gt;"


def test_a_literal_key_is_drawn_once():
    """A literal passed by an include (`with tab="list"`) is a SafeString: drawn once too."""
    template = compile_("{% once key %}{{ key }}{% url 'portal:home' %}{% endonce %}")
    node = template.template.nodelist.get_nodes_by_type(OnceNode)[0]
    outer = engines["django"].from_string('{% include inner with key="list" %}')
    for _ in range(3):
        assert outer.render({"inner": template.template}) == "list" + reverse("portal:home")
    assert list(node.drawings.values()) == ["list" + reverse("portal:home")]


def test_the_script_prefix_is_part_of_the_drawing():
    source = "{% once %}{% url 'portal:home' %}{% endonce %}"
    home = reverse("portal:home")
    assert render(source) == home
    try:
        set_script_prefix("/kabinet/")
        assert render(source) == "/kabinet" + home
    finally:
        set_script_prefix("/")
    assert render(source) == home


def test_a_moment_is_drawn_in_each_requests_time_zone():
    moment = timezone.make_aware(datetime(2026, 11, 30, 12, 0), timezone.get_fixed_timezone(0))
    template = compile_("{% once moment %}{{ moment }}{% endonce %}")
    with timezone.override(ZoneInfo("Asia/Yekaterinburg")):
        assert "17:00" in template.render({"moment": moment})
    with timezone.override(ZoneInfo("Europe/Moscow")):
        assert "15:00" in template.render({"moment": moment})


def test_a_changed_setting_draws_again():
    source = "{% once %}{% static 'core/kabinet.css' %} {% url 'portal:pay' 7 %}{% endonce %}"
    before = render(source)
    pay = reverse("portal:pay", args=[7])
    with override_settings(STATIC_URL="/elsewhere/", ROOT_URLCONF="tests.core.urls_moved"):
        assert render(source) == f"/elsewhere/core/kabinet.css /moved{pay}"
    assert render(source) == before


def menu_of(page: str) -> tuple[str, str]:
    """The header's name and the logout form's CSRF token on a page."""
    name = re.search(r'<span class="user-name">([^<]*)</span>', page).group(1)
    token = re.search(r'action="/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return name, token.group(1)


def test_each_customer_sees_their_own_name_and_token_in_the_layout(customer, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"), first_name="Пётр")
    anna, petr = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    customer_login(anna, customer)
    customer_login(petr, other)
    tokens = {}
    for client, user in [(anna, customer), (petr, other), (anna, customer)]:
        name, token = menu_of(client.get(reverse("portal:home")).content.decode())
        assert name == user.get_full_name()
        tokens.setdefault(client, []).append(token)
    assert len({token for drawn in tokens.values() for token in drawn}) == 3  # masked afresh for each page
    assert petr.post(reverse("portal:logout"), {"csrfmiddlewaretoken": tokens[anna][-1]}).status_code == 403
    assert petr.post(reverse("portal:logout"), {"csrfmiddlewaretoken": tokens[petr][-1]}).status_code == 302


def test_the_section_and_the_contacts_follow_the_page(client, customer, sverdlovsk):
    customer_login(client, customer)
    for url, current in [("portal:home", "Главная"), ("portal:appeals", "Обращения"), ("portal:profile", "Профиль")]:
        page = client.get(reverse(url)).content.decode()
        nav = re.search(r'<nav class="main-nav".*?</nav>', page, re.S).group(0)
        assert re.findall(r'aria-current="page">([^<]+)</a>', nav) == [current]
        assert f">{sverdlovsk.contact_phone}</a>" in page
    sverdlovsk.contact_phone, sverdlovsk.feedback_url = "8-800-700-00-01", "https://example.ru/feedback"
    sverdlovsk.save()
    forget_contacts()
    page = client.get(reverse("portal:home")).content.decode()
    assert '<a href="tel:88007000001">8-800-700-00-01</a>' in page
    assert 'href="https://example.ru/feedback"' in page
