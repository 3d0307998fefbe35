"""The field groups of «Профиль»'s two forms and of «Добавить лицевой счёт», drawn once per process
where a GET draws them the same for every customer (docs/performance.md, step 22).

Building a form copies its fields and drawing a field group goes through the bound field: on
«Профиль» the names' and the e-mail's forms were a sixth of the page's Python calls, on «Добавить лицевой
счёт» its form with the regions' select a third. A refused form (bound, with its errors and the
values typed) is drawn from itself as before; tests/portal/test_profile_pages.py holds every page
to the old template drawing the old view's forms, byte for byte.
"""

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from kabinet.billing.registry import region_rows
from kabinet.core.form_html import cut, text, value_attribute
from kabinet.identity.models import AccountLink
from kabinet.portal.forms import AddAccountForm, EmailForm, NamesForm
from kabinet.portal.token_forms import PersonalTokenForm, account_label

# Where the names stand in the groups drawn once, cut there for a customer's to be written in:
# text no label, help or attribute of the form holds, which escaping leaves as it is.
_FIRST, _LAST = "\x1fprofile-first-name\x1f", "\x1fprofile-last-name\x1f"
# The profile template wrote the names' two groups one under the other.
_NAMES_SEPARATOR = "\n      "
_ADD_ACCOUNT_SEPARATOR = "\n    "


def names_fields(form: NamesForm | None, first_name: str, last_name: str) -> SafeString:
    """«Имя» and «Фамилия» as drawn: a refused form's own, else the customer's names in the groups
    drawn once (`_names_around`)."""
    if form is not None:
        return _groups(form, ("first_name", "last_name"), _NAMES_SEPARATOR)
    head, middle, tail = _names_around()
    return mark_safe(f"{head}{value_attribute(first_name)}{middle}{value_attribute(last_name)}{tail}")  # noqa: S308 -- escaped by value_attribute


@cache
def _names_around() -> tuple[str, str, str]:
    """The unbound names form's groups, cut where each input's value attribute is written."""
    form = NamesForm(initial={"first_name": _FIRST, "last_name": _LAST})
    drawn = _groups(form, ("first_name", "last_name"), _NAMES_SEPARATOR)
    head, middle, tail = cut(drawn, value_attribute(_FIRST), value_attribute(_LAST))
    return head, middle, tail


def email_field(form: EmailForm | None) -> SafeString:
    """The e-mail's group: a refused form's own, else the unbound form's, the same for everyone."""
    return _groups(form, ("email",), "") if form is not None else _unbound_email_field()


@cache
def _unbound_email_field() -> SafeString:
    return _groups(EmailForm(), ("email",), "")


# The unbound form's groups for each list of regions read: keyed by the regions' rows as read on
# this request (every column), so a region added, renamed, reordered or made the default in
# /admin/ or by SQL draws afresh on the next view. A few lists at most: they change rarely.
_DRAWN_FOR_REGIONS: dict[tuple, SafeString] = {}
_REGION_LISTS_KEPT = 8


def add_account_fields(form: AddAccountForm | None) -> SafeString:
    """The account number's, the house's and the region's groups: a refused form's own, else the
    unbound form's for the regions as they are now (one compiled statement, no instances)."""
    names = ("account_number", "house", "region")
    if form is not None:
        return _groups(form, names, _ADD_ACCOUNT_SEPARATOR)
    rows = region_rows()
    drawn = _DRAWN_FOR_REGIONS.get(rows.values)
    if drawn is None:
        drawn = _groups(AddAccountForm(regions=rows.instances()), names, _ADD_ACCOUNT_SEPARATOR)
        if len(_DRAWN_FOR_REGIONS) >= _REGION_LISTS_KEPT:
            _DRAWN_FOR_REGIONS.clear()
        _DRAWN_FOR_REGIONS[rows.values] = drawn
    return drawn


def _groups(form, names: tuple[str, ...], separator: str) -> SafeString:
    return mark_safe(separator.join(form[name].as_field_group() for name in names))  # noqa: S308 -- drawn escaped


@receiver(setting_changed)
def _forget_drawn_fields(**kwargs) -> None:
    # A test's FORM_RENDERER or templates draw them afresh.
    _names_around.cache_clear()
    _unbound_email_field.cache_clear()
    _DRAWN_FOR_REGIONS.clear()
    _token_fields_around.cache_clear()


# «Токены доступа»'s unbound form: its fields are the same for everyone but the accounts' rows,
# which are the customer's and written per view (`_account_row`) between the rest, drawn once
# from the form's own include with a stand-in account (docs/performance.md, step 25).
_STAND_IN = (0, "\x1ftoken-form-account\x1f")


def token_fields(links: list[AccountLink]) -> SafeString:
    """The unbound «Создать токен» form's fields for the customer's accounts, as
    portal/_token_fields.html draws `PersonalTokenForm(links=links)`: one account is ticked."""
    head, tail = _token_fields_around()
    checked = len(links) == 1
    rows = "".join(
        _account_row(index, link.account_id, account_label(link), checked) for index, link in enumerate(links)
    )
    return mark_safe(f"{head}{rows}{tail}")  # noqa: S308 -- drawn escaped, rows escaped by _account_row


def _account_row(index: int, value: int, label: str, checked: bool) -> str:
    """A checkbox and its label as `profile_page.choice_rows` writes an unbound form's choice."""
    tick = " checked" if checked else ""
    return (
        f'<div><input type="checkbox" name="accounts" value="{value}" id="id_accounts_{index}"{tick}>'
        f' <label for="id_accounts_{index}">{text(label)}</label></div>'
    )


@cache
def _token_fields_around() -> tuple[str, str]:
    """The unbound form's fields drawn by their include, cut around the stand-in account's row:
    the split fails unless `_account_row` writes that row as the include did."""
    form = PersonalTokenForm(links=[])
    form.fields["accounts"].choices = [_STAND_IN]
    drawn = render_to_string("portal/_token_fields.html", {"form": form})
    head, tail = cut(drawn, _account_row(0, *_STAND_IN, checked=False))
    return head, tail
