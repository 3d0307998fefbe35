"""Form fields and their widgets as HTML, written by Python instead of through templates.

Rendering a field through Django's form templates cost the login page about two thirds of its
rendering time (docs/performance.md, «4. Rendering»): a field group is a template and each
widget three more (the widget, its attributes, each option). These functions write the same
bytes as Django's own input, select, textarea, radio/checkbox-list and file (without a current
file) widget templates, and the same as the field layout that was core/forms/field.html but for
that file's final newline (a field group now ends at its </div>). Any widget not listed in
WIDGETS, or a file input showing a current file, still renders through its template.
tests/core/test_form_html.py holds them to Django's templates and to a copy of the old
field layout (tests/core/old_templates/field.html), hostile labels, errors and choices included.
"""

from collections.abc import Callable, Iterable
import html

from django.conf import settings
from django.forms import BoundField
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import template_localtime

# What django.utils.html.escape writes (it is html.escape of the value as a string), without its
# keep_lazy wrapper and SafeString: a field group escapes about twenty strings, and the wrapper's
# look for lazy arguments was a third of writing one (docs/performance.md step 9).
_escape = html.escape


def text(value: object) -> str:
    """A value as a template's {{ value }} writes it: localized, escaped unless safe."""
    if type(value) is str:
        return _escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        # What localize writes of an integer without grouping, without its look-ups of the
        # language and formats: most of «История показаний»'s rows (docs/performance.md step 12).
        return str(value)
    value = localize(template_localtime(value))
    return conditional_escape(value if issubclass(type(value), str) else str(value))


def formatted(value: object) -> str:
    """{{ value|stringformat:'s' }}: the value as a string, escaped unless it was safe."""
    return value if isinstance(value, SafeData) else _escape(str(value))


def value_attribute(value: str) -> str:
    """A text input's value attribute as `input_html` writes it: none for an empty value, as
    Django's `Input.format_value` gives it."""
    return f' value="{formatted(value)}"' if value else ""


def cut(drawn: str, *markers: str) -> tuple[str, ...]:
    """`drawn` cut at each marker in turn, each found exactly once after the one before (else
    ValueError): the parts of a form drawn once with stand-ins, around where a customer's values go."""
    parts, rest = [], drawn
    for marker in markers:
        head, rest = rest.split(marker)
        parts.append(head)
    return (*parts, rest)


def attrs(items: dict) -> str:
    """django/forms/widgets/attrs.html: False leaves an attribute out, True writes its name."""
    return "".join(
        f" {text(name)}" if value is True else f' {text(name)}="{formatted(value)}"'
        for name, value in items.items()
        if value is not False
    )


def input_html(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{formatted(widget["value"])}"'
    return f'<input type="{text(widget["type"])}" name="{text(widget["name"])}"{value}{attrs(widget["attrs"])}>'


def clearable_file_input_html(widget: dict) -> str:
    """django/forms/widgets/clearable_file_input.html without a file already there (a form's
    file field as the appeals' forms draw it): its input alone, the template's newlines being
    stripped by the renderer. A current file (its link and «Очистить») goes to the template."""
    if widget["is_initial"]:
        raise OwnTemplate("django/forms/widgets/clearable_file_input.html")
    return input_html(widget)


class OwnTemplate(Exception):
    """An option with a template other than Django's: its widget renders through templates."""


def option_html(option: dict) -> str:
    if option["template_name"] != "django/forms/widgets/select_option.html":
        raise OwnTemplate(option["template_name"])
    # The newline that ends the option's template file is part of the page.
    return f'<option value="{formatted(option["value"])}"{attrs(option["attrs"])}>{text(option["label"])}</option>\n'


def select_html(widget: dict) -> str:
    parts = [f'<select name="{text(widget["name"])}"{attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{text(group_name)}">')
        parts.extend(f"\n  {option_html(option)}" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def textarea_html(widget: dict) -> str:
    value = text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{text(widget["name"])}"{attrs(widget["attrs"])}>\n{value}</textarea>'


def input_option_html(option: dict) -> str:
    """django/forms/widgets/input_option.html: a radio or checkbox inside its label."""
    if option["template_name"] not in (
        "django/forms/widgets/radio_option.html",
        "django/forms/widgets/checkbox_option.html",
    ):
        raise OwnTemplate(option["template_name"])
    # The newlines are those that end input.html, input_option.html and radio_option.html
    # (or checkbox_option.html), each included in the next.
    if not option["wrap_label"]:
        return f"{input_html(option)}\n\n\n"
    label_for = f' for="{text(option["attrs"]["id"])}"' if option["attrs"].get("id") else ""
    return f"<label{label_for}>{input_html(option)}\n {text(option['label'])}</label>\n\n"


def option_tag_html(option: dict) -> str:
    """A radio or checkbox rendered on its own (`BoundWidget.tag`): a renderer strips what a
    template it renders writes (Django's BaseRenderer.render), here the files' final newlines."""
    return input_option_html(option).strip()


def multiple_input_html(widget: dict) -> str:
    """django/forms/widgets/multiple_input.html: radios or checkboxes, each in a <div>."""
    own = widget["attrs"]
    parts = [
        "<div",
        f' id="{text(own["id"])}"' if own.get("id") else "",
        f' class="{text(own["class"])}"' if own.get("class") else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{text(group)}</label>")
        parts.extend(f"<div>\n    {input_option_html(option)}</div>" for option in options)
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


_INPUTS = (
    "input",
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "checkbox",
    "search",
    "tel",
    "color",
    "file",
)
# The field layout has no template: FIELD is the name BoundField asks the renderer for.
FIELD = "core/forms/field"
WIDGETS: dict[str, Callable[[dict], str]] = {
    **{f"django/forms/widgets/{name}.html": input_html for name in _INPUTS},
    "django/forms/widgets/clearable_file_input.html": clearable_file_input_html,
    "django/forms/widgets/select.html": select_html,
    "django/forms/widgets/textarea.html": textarea_html,
    "django/forms/widgets/radio.html": multiple_input_html,
    "django/forms/widgets/checkbox_select.html": multiple_input_html,
    # One radio or checkbox on its own: a template looping over a field's choices writes each
    # `choice.tag` (the tokens page's accounts and rights, docs/performance.md step 18).
    "django/forms/widgets/radio_option.html": option_tag_html,
    "django/forms/widgets/checkbox_option.html": option_tag_html,
}


def errors_html(field: BoundField, errors: Iterable) -> str:
    """A field's messages, with the id its widget's aria-describedby points to."""
    messages = "".join(f"<p>{text(error)}</p>" for error in errors)
    return f'<div class="field-errors" id="{text(field.auto_id)}_error" role="alert">{messages}</div>'


def field_html(field: BoundField) -> SafeString:
    """A field group: a real <label>, a «*» on required fields, the help text and the errors,
    the help and the errors with ids the widget's aria-describedby points to."""
    widget_type = field.widget_type
    errors = field.errors
    auto_id = text(field.auto_id)
    required = '<span class="req" aria-hidden="true"> *</span>' if field.field.required else ""
    label = f'<label for="{auto_id}">{text(field.label)}{required}</label>'
    if widget_type == "checkbox":
        body = f'\n  <div class="checkbox-row">{text(field)} {label}</div>\n'
    else:
        body = f"\n  {label}\n  {text(field)}\n"
    help_text = f'<p class="help" id="{auto_id}_helptext">{field.help_text}</p>' if field.help_text else ""
    invalid = " field-invalid" if errors else ""
    tail = errors_html(field, errors) if errors else ""
    return mark_safe(f'<div class="field field-{widget_type}{invalid}">\n{body}\n{help_text}\n{tail}\n</div>')  # noqa: S308 (parts escaped)
