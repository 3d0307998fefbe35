"""The «Электронная квитанция» form of the «Квитанции» page."""

from functools import cache

from django import forms
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.safestring import SafeString, mark_safe


class EBillForm(forms.Form):
    # «e-mail» never broken at its hyphen when the label wraps on a phone.
    ebill = forms.BooleanField(
        label=mark_safe('Получать квитанцию по <span class="nowrap">e-mail</span> вместо бумажной'), required=False
    )


def ebill_field(form: EBillForm | None, subscribed: bool) -> SafeString:
    """The checkbox's field group: a posted form's own, else the unbound form's ticked as the
    e-bill is, the same for everyone and so drawn once a process (docs/performance.md, step 23)."""
    return form["ebill"].as_field_group() if form is not None else _unbound_ebill_field(subscribed)


@cache
def _unbound_ebill_field(subscribed: bool) -> SafeString:
    return EBillForm(initial={"ebill": subscribed})["ebill"].as_field_group()


@receiver(setting_changed)
def _forget_drawn_field(**kwargs) -> None:
    # A test's FORM_RENDERER or templates draw it afresh.
    _unbound_ebill_field.cache_clear()
