"""The error summary's helpers (the GOV.UK design system's pattern): each field's message with
the input it links to, and whether the page shows a form that failed, so that its title can
start with «Ошибка: »."""

from django import forms, template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SUMMARY = "core/form_errors.html"


def error_target(field: forms.BoundField) -> str:
    """The id of the input an error links to: the field's own, or for radios and checkbox
    lists (whose wrapper cannot take focus) the first option's."""
    if field.id_for_label:
        return field.id_for_label
    first = next(iter(field.subwidgets), None)
    return (first and first.id_for_label) or field.auto_id


def summary_label(field: forms.BoundField) -> str:
    """What leads the field's message in the summary: its label, since «Обязательное поле.»
    alone, three times over, would not say which field is meant. Not a checkbox's: its label is
    an answer («Закрыть без ответа», «Да, показания верны — …»), and its message already says
    what to tick, so the label before it would read as two sentences run together."""
    return "" if isinstance(field.field.widget, forms.CheckboxInput) else str(field.label)


@register.filter
def field_errors(form: forms.BaseForm) -> list[tuple[str, str, str]]:
    """(input id, label to lead with or "", message) for every error of a visible field, in
    the fields' order."""
    return [
        (error_target(field), summary_label(field), error)
        for field in form
        if not field.is_hidden
        for error in field.errors
    ]


@register.simple_tag(takes_context=True)
def form_failed(context: template.Context) -> bool:
    """True when any form the page renders was submitted and refused."""
    # By type, not isinstance: a lazy value (the user) answers isinstance through its proxy.
    return any(
        issubclass(type(value), forms.BaseForm) and value.is_bound and bool(value.errors)
        for layer in context.dicts
        for value in layer.values()
    )


@register.simple_tag
def error_summary(form: forms.BaseForm | None) -> SafeString:
    """What `{% include "core/form_errors.html" with form=form %}` writes, without including the
    template while the form has no errors (every GET), when it writes only its final newline:
    an include costs a context, a template look-up and its nodes (docs/performance.md step 18)."""
    if form is None or not form.errors:
        return mark_safe("\n")
    return mark_safe(render_to_string(SUMMARY, {"form": form}))  # noqa: S308 -- rendered with autoescape
