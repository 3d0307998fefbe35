"""`{% error_summary form %}` writes what `{% include "core/form_errors.html" with form=form %}`
wrote, for forms unbound, valid, refused at fields (a checkbox's and a hidden field's errors
included) and refused as a whole (docs/performance.md step 18)."""

from django import forms
from django.template import engines
import pytest


class Sample(forms.Form):
    name = forms.CharField(label="Имя <b>")
    agree = forms.BooleanField(label="Согласен")
    token = forms.CharField(widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=[("a", "А"), ("b", "Б")], widget=forms.RadioSelect)

    def clean(self):
        if self.data.get("name") == "whole":
            raise forms.ValidationError("Форма целиком <неверна>.")
        return super().clean()


VALID = {"name": "Анна", "agree": "on", "token": "t", "choice": "a"}


@pytest.mark.parametrize(
    "form",
    [
        Sample(),
        Sample(VALID),
        Sample({}),
        Sample({**VALID, "choice": "zzz", "token": ""}),
        Sample({**VALID, "name": "whole"}),
        None,
    ],
    ids=["unbound", "valid", "every field", "radio and hidden", "the whole form", "no form"],
)
def test_the_tag_writes_what_the_include_wrote(form):
    engine = engines["django"]
    included = engine.from_string('{% include "core/form_errors.html" %}').render({"form": form})
    tagged = engine.from_string("{% load form_errors %}{% error_summary form %}").render({"form": form})
    assert tagged == included
    assert ("error-summary" in tagged) is bool(form is not None and form.errors)
