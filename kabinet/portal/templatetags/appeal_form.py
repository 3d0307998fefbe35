"""«Создать обращение» and the complaint form: their field groups listed in one tag, and the
documents hints written by Python (docs/performance.md step 17). As `{{ form.x.as_field_group }}`
each field cost the template engine a lookup through the form and the bound field (two
exceptions caught) before it was drawn; the hints' loop was a tenth of «Создать обращение»'s
rendering. tests/portal/test_appeal_pages.py holds the pages to the templates they replaced."""

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

from kabinet.core.form_html import text

register = template.Library()


@register.simple_tag
def reason_hints(hints: dict[int, str]) -> SafeString:
    """Each reason's hint, hidden until kabinet.js shows the chosen reason's."""
    return mark_safe(  # noqa: S308 -- escaped by text()
        "".join(
            f'<p class="hint reason-hint" data-reason-hint="{text(reason_id)}" hidden>'
            f"Какие документы приложить: {text(hint)}</p>"
            for reason_id, hint in hints.items()
        )
    )


@register.simple_tag
def field_groups(form: forms.BaseForm, *names: str) -> SafeString:
    """The named fields' groups, each as `{{ form.<name>.as_field_group }}` on a line of its own
    two spaces in, as the templates listed them."""
    return mark_safe("\n  ".join(form[name].as_field_group() for name in names))  # noqa: S308 -- drawn escaped
