"""«Мои обращения»'s status filter drawn once per choice (docs/performance.md step 9): for every
query the same status and the same HTML as the form gives, an unknown status still refused by
the form with its message, and every choice drawn with its own option selected."""

from django.http import QueryDict
from django.test import override_settings
from django.urls import reverse
import pytest

from kabinet.appeals.models import Status
from kabinet.portal.appeal_forms import StatusFilterForm, status_filter
from tests.factories import customer_login

QUERIES = ["", "status=", "page=2", *(f"status={value}" for value in Status.values), "status=new&status=closed",
           "status=nonsense", "status=%3Cb%3E"]  # fmt: skip


def by_the_form(data: QueryDict) -> tuple[str, str, bool]:
    form = StatusFilterForm(data)
    return (form.cleaned_data["status"] if form.is_valid() else ""), form["status"].as_field_group(), form.is_valid()


def drawn(data: QueryDict) -> tuple[str, str, bool]:
    status, html, form = status_filter(data)
    return status, html, form is None or form.is_valid()


@pytest.mark.parametrize("query", QUERIES)
def test_the_same_status_and_field_as_the_form(query):
    data = QueryDict(query)
    assert drawn(data) == by_the_form(data)
    assert drawn(data) == by_the_form(data)  # and again, from memory


def test_each_choice_is_drawn_with_its_own_option_selected():
    for value in Status.values:
        _, html, _ = status_filter(QueryDict(f"status={value}"))
        assert html.count("selected") == 1 and f'value="{value}" selected' in html


def test_an_unknown_status_is_refused_next_to_the_field(client, customer):
    customer_login(client, customer)
    page = client.get(reverse("portal:appeals") + "?status=nonsense").content.decode()
    assert "Выберите корректный вариант" in page
    assert "<title>Ошибка: Мои обращения" in page
    assert "<title>Мои обращения" in client.get(reverse("portal:appeals") + "?status=new").content.decode()


def test_a_changed_setting_draws_it_again():
    _, before, _ = status_filter(QueryDict("status=new"))
    with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
        _, other, _ = status_filter(QueryDict("status=new"))
    assert other != before
    assert status_filter(QueryDict("status=new"))[1] == before
