"""Every kind of box the forms draw looks the same (kabinet.css): a date-time field left to the
browser's defaults stood out on «Жалоба» next to the styled ones."""

import importlib
from pathlib import Path
import pkgutil
import re

from django import forms

import kabinet

CSS = Path(kabinet.__file__).parent / "core" / "static" / "core" / "kabinet.css"
TEMPLATES = Path(kabinet.__file__).parent
NOT_A_BOX = {"checkbox", "radio", "hidden", "file", "submit", "button", "select"}  # select: its own rule


def _all_forms() -> set[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(kabinet.__path__, "kabinet."):
        if module.name.rsplit(".", 1)[-1].endswith("forms"):
            importlib.import_module(module.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("kabinet."):
                found.add(sub)
    return found


def _input_types() -> set[str]:
    types = set()
    for form in _all_forms():
        for field in form.base_fields.values():
            widgets = getattr(field.widget, "widgets", [field.widget])
            for widget in widgets:
                kind = widget.attrs.get("type") or getattr(widget, "input_type", None)
                if kind:
                    types.add(kind)
    for template in TEMPLATES.rglob("*.html"):
        types.update(re.findall(r'<input[^>]*\btype="([a-z-]+)"', template.read_text()))
    return types - NOT_A_BOX


def test_every_input_type_the_forms_use_is_styled():
    css = CSS.read_text()
    styled = set(re.findall(r"input\[type=([a-z-]+)\]", css.split("/* Forms */", 1)[1]))
    used = _input_types()
    assert "datetime-local" in used  # the complaint's «Начало нарушения»
    assert used - styled == set()
