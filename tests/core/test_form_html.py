"""Fields and widgets written by kabinet.core.form_html: the same bytes as Django's widget
templates and as the field layout, and no form template rendered on the login page."""

import datetime
from decimal import Decimal
from pathlib import Path

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import engines
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
import pytest

from kabinet.core.form_html import WIDGETS, text
from kabinet.core.forms import SecondFactorForm

CHOICES = [("a", "Альфа <b>"), ("b", "Бета & co"), (3, "Три")]


class OwnOptionSelect(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


class StoredFile:
    """A file a form shows as already there: ClearableFileInput links it and offers «Очистить»."""

    url = "/media/a.pdf?x=1&y=<2>"

    def __str__(self) -> str:
        return "справка <1>.pdf"


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
    stored = forms.FileField(required=False, initial=StoredFile())  # drawn by its template
    required_stored = forms.FileField(initial=StoredFile())
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
    # A radio's or a checkbox's own tag, as a template looping over the choices writes it (the
    # tokens page), and inside its label.
    options = set()
    for name in ("radio", "grouped_radio", "boxes"):
        for choice, by_templates in zip(ours[name], templates[name], strict=True):
            assert choice.tag() == by_templates.tag(), name
            assert choice.tag(wrap_label=True) == by_templates.tag(wrap_label=True), name
            options.add(choice.template_name)
    # Each writer in WIDGETS is held to a template here (the file input with a current file
    # draws through the template, and is held to it too).
    used = {field.field.widget.template_name for field in ours} | options
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


# core/forms/field.html as it was before form_html (git show 5e1aa4e^1:kabinet/core/templates/core/forms/field.html).
OLD_FIELD_TEMPLATE = Path(__file__).parent / "old_templates" / "field.html"
HOSTILE = "<script>alert(\"x\")</script> & 'q' {{ x }}"


class HostileForm(forms.Form):
    name = forms.CharField(label=HOSTILE, help_text=mark_safe(f"<i>{HOSTILE}</i>"), max_length=3)
    lazy = forms.CharField(label=gettext_lazy("Имя"), required=False, help_text=HOSTILE)
    agree = forms.BooleanField(label=HOSTILE, help_text=HOSTILE)
    choice = forms.ChoiceField(
        label=mark_safe("<b>Жирный</b>"),
        choices=[(HOSTILE, HOSTILE), ('Группа <">', [("a", mark_safe("<em>a</em>"))])],
        widget=forms.Select(attrs={"data-x": HOSTILE, "title": mark_safe('"><b>')}),
    )
    radio = forms.ChoiceField(choices=[(HOSTILE, HOSTILE)], widget=forms.RadioSelect(attrs={"class": HOSTILE}))
    area = forms.CharField(widget=forms.Textarea(attrs={"placeholder": HOSTILE}), required=False)

    def clean_name(self):
        raise forms.ValidationError([HOSTILE, mark_safe(f"<b>{HOSTILE}</b>")])


@pytest.mark.parametrize("data", [None, {"name": HOSTILE, "choice": "nothing", "radio": HOSTILE, "area": HOSTILE}])
@pytest.mark.parametrize("prefix", [None, 'p"<x>'])
def test_field_layout_writes_what_the_old_template_wrote(data, prefix):
    """Labels, errors, help texts, attributes and choices with markup in them come out escaped
    (or not) exactly as the template escaped them: only the template's final newline is gone."""
    old = engines["django"].from_string(OLD_FIELD_TEMPLATE.read_text(encoding="utf-8"))
    form = HostileForm(data, prefix=prefix)
    for field in form:
        assert str(field.as_field_group()) + "\n" == old.render({"field": field}), field.name
    assert form.errors if data else not form.is_bound


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("value", [0, 7, -1234, 99999, 1234567, True, 10**20])
def test_text_writes_an_integer_as_a_template_does(settings, value, grouped):
    """`text`'s short way for integers is the template's, with the thousands grouped or not."""
    settings.USE_THOUSAND_SEPARATOR = grouped
    assert text(value) == engines["django"].from_string("{{ value }}").render({"value": value})
