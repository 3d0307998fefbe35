"""`{% field_group form "name" %}`: what `{{ form.name.as_field_group }}` writes, drawn once per
process for an unbound form of a class in DRAWN_ONCE (docs/performance.md, step 25).

The authenticator's setup page drew its code's and its passkey's name groups through the bound
fields on every view, though an unbound one is the same for everyone. Only forms whose fields
hold nothing of a customer's are listed, and a drawing is keyed by what a view may set on its
form (its class, the field's name, label and help, the form's prefix and auto_id). A bound form,
or one given initial values, is drawn from itself every time."""

from functools import cache

from django import forms, template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.safestring import SafeString

from kabinet.core.forms import PasskeyForm, SetupCodeForm

register = template.Library()

DRAWN_ONCE: frozenset[type[forms.BaseForm]] = frozenset({SetupCodeForm, PasskeyForm})
_DRAWN: dict[tuple, SafeString] = {}
MAX_DRAWN = 64  # a few groups of two forms: a key a view varies without end is forgotten, not kept


@cache
def unbound(form_class: type[forms.BaseForm]) -> forms.BaseForm:
    """The unbound form of a DRAWN_ONCE class, made once per process: a GET draws only its groups
    (`field_group`), its error summary (none) and its hidden inputs, the same for everyone. Not to
    be changed by a view (a label set on it would show to every customer)."""
    if form_class not in DRAWN_ONCE:
        raise TypeError(f"{form_class.__name__} is not drawn once")
    return form_class()


@register.simple_tag
def field_group(form: forms.BaseForm, name: str) -> SafeString:
    if type(form) not in DRAWN_ONCE or form.is_bound or form.initial:
        return form[name].as_field_group()
    field = form.fields[name]
    key = (type(form), name, field.label, field.help_text, form.prefix, form.auto_id)
    drawn = _DRAWN.get(key)
    if drawn is None:
        if len(_DRAWN) >= MAX_DRAWN:
            _DRAWN.clear()
        drawn = _DRAWN[key] = form[name].as_field_group()
    return drawn


@receiver(setting_changed)
def _forget_drawn_groups(**kwargs) -> None:
    # A test's FORM_RENDERER or templates draw them afresh.
    _DRAWN.clear()
    unbound.cache_clear()
