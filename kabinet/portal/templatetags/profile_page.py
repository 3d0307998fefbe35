"""«Профиль» and «Токены доступа» written by Python where their templates cost the most: the
rows of the profile's accounts (a {% url %} and five lookups through three related objects
each) and the choices of the tokens' form (three lookups and a widget each; docs/performance.md,
step 18). Like the form fields (core.form_html) they write the bytes of the templates they
replaced: tests/portal/test_profile_pages.py holds the pages to copies of those."""

from django import template
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.safestring import SafeString, mark_safe

from kabinet.core.form_html import text
from kabinet.core.templatetags.cached_url import cached_reverse, current_app_of, reversing_with
from kabinet.identity.models import AccountLink
from kabinet.portal import profile_forms

register = template.Library()

CLOSED = ' <span class="badge badge-closed">закрыт</span>'


@register.simple_tag(takes_context=True)
def profile_account_rows(context: template.Context, links: list[AccountLink]) -> SafeString:
    """A row per account the customer holds: number (and «закрыт»), address, region, «Удалить»."""
    app, reversing = current_app_of(context), reversing_with()  # once for all the rows' links
    return mark_safe("".join(_row(link, app, reversing) for link in links))  # noqa: S308 -- escaped by _row


def _row(link: AccountLink, app: str | None, reversing: tuple) -> str:
    account = link.account
    number = text(account.number)
    remove = text(cached_reverse("portal:confirm_remove_account", (link.pk,), {}, app, reversing))
    # The whitespace is the old {% for %} body's: a newline and indents before and after the row.
    return (
        f'\n      <tr>\n        <th scope="row">{number}{"" if account.is_active else CLOSED}</th>\n'
        f'        <td data-label="Адрес">{text(account.premises.address)}</td>\n'
        f'        <td data-label="Регион">{text(account.region.name)}</td>\n'
        f'        <td><a href="{remove}" aria-label="Удалить лицевой счёт {number}">Удалить</a></td>\n'
        "      </tr>\n    "
    )


@register.simple_tag
def choice_rows(field: BoundField) -> SafeString:
    """«Токены доступа»'s accounts and rights: each radio or checkbox (core.form_html) and its
    label in a <div>, as the template's loop over the field's choices wrote them."""
    return mark_safe("".join(map(_choice_row, field)))  # noqa: S308 -- escaped by _choice_row


def _choice_row(choice: BoundWidget) -> str:
    return f'<div>{choice.tag()} <label for="{text(choice.id_for_label)}">{text(choice.choice_label)}</label></div>'


@register.simple_tag
def token_fields(links: list[AccountLink]) -> SafeString:
    """«Создать токен»'s fields unbound, drawn once but the customer's accounts (step 25)."""
    return profile_forms.token_fields(links)
