"""Fields and widgets written by kabinet.core.form_html: the same bytes as Django's widget
templates and as the field layout, and no form template rendered on the login page."""

import datetime
from decimal import Decimal

from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils.safestring import mark_safe
import pytest

from kabinet.core.form_html import WIDGETS
from kabinet.core.forms import SecondFactorForm

CHOICES = [("a", "Альфа <b>"), ("b", "Бета & co"), (3, "Три")]


class OwnOptionSelect(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


class EveryWidget(forms.Form):
    text = forms.CharField(
        initial='Кавычки " и <теги>', widget=forms.TextInput(attrs={"autofocus": True, "spellcheck": False})
    )
    number = forms.DecimalField(initial=Decimal("1234.5"))
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="secret")
    email = forms.EmailField(required=False, help_text=mark_safe("<a href='/'>помощь</a>"))
    date = forms.DateField(initial=datetime.date(2026, 11, 30), widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField(initial=datetime.datetime(2026, 11, 30, 23, 31))
    hidden = forms.CharField(widget=forms.HiddenInput, initial=mark_safe("&amp;"))
    upload = forms.FileField(required=False)
    agree = forms.BooleanField(initial=True)
    select = forms.ChoiceField(choices=CHOICES, initial="b")
    groups = forms.ChoiceField(choices=[("", "—"), ("Группа <1>", CHOICES), ("Группа 2", [("c", "Це")])])
    many = forms.MultipleChoiceField(choices=CHOICES, initial=["a", 3])
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect(attrs={"class": "radios"}))
    grouped_radio = forms.ChoiceField(choices=[("Группа", CHOICES)], widget=forms.RadioSelect)
    boxes = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False)
    area = forms.CharField(widget=forms.Textarea, initial="Строка 1\n<строка 2>")
    empty_area = forms.CharField(widget=forms.Textarea, required=False)
    own_option = forms.ChoiceField(choices=CHOICES, widget=OwnOptionSelect)


@pytest.mark.parametrize("bound", [False, True])
def test_widgets_write_what_djangos_templates_write(bound):
    data = {"text": "<x>", "many": ["b"], "radio": "a", "boxes": ["a", "b"], "area": ""} if bound else None
    ours, templates = EveryWidget(data), EveryWidget(data, renderer=DjangoTemplates())
    for field in ours:
        assert str(field) == str(templates[field.name]), field.name
    # Each writer in WIDGETS is held to a template here; the clearable file input renders through its own.
    used = {field.field.widget.template_name for field in ours}
    assert {WIDGETS[name] for name in used if name in WIDGETS} == set(WIDGETS.values())


def test_field_layout():
    """The field group's HTML: label tied to the input, «*» on required fields, the help and the
    errors with the ids aria-describedby names (as core/forms/field.html wrote them)."""
    form = SecondFactorForm({})
    assert str(form["code"].as_field_group()) == (
        '<div class="field field-text field-invalid">\n\n'
        '  <label for="id_code">Код из приложения<span class="req" aria-hidden="true"> *</span></label>\n'
        '  <input type="text" name="code" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" '
        'maxlength="32" required aria-invalid="true" aria-describedby="id_code_helptext id_code_error" '
        'id="id_code">\n\n<p class="help" id="id_code_helptext">'
        "Шесть цифр из приложения‑аутентификатора или один из резервных кодов.</p>\n"
        '<div class="field-errors" id="id_code_error" role="alert"><p>Обязательное поле.</p></div>\n</div>'
    )
    assert str(form["remember"].as_field_group()) == (
        '<div class="field field-checkbox">\n\n'
        '  <div class="checkbox-row"><input type="checkbox" name="remember" id="id_remember"> '
        '<label for="id_remember">Запомнить этот браузер на 30 дней</label></div>\n\n\n\n</div>'
    )


def test_login_page_renders_no_form_template(client, sverdlovsk):
    """Every field of the login page is written by form_html: no template per field or widget
    (they were two thirds of the page's rendering time)."""
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    names = [template.name for template in response.templates]
    assert [name for name in names if "forms/" in name] == []
    assert '<select name="region"' in response.content.decode()
