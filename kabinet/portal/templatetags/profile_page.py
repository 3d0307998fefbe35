"""«Профиль» written by Python where its template cost the most: the rows of the accounts'
table, a {% url %} and five lookups through three related objects each (docs/performance.md,
step 13). Like the form fields (core.form_html) they write the bytes of the template they
replaced: tests/portal/test_profile_pages.py holds the page to a copy of it."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from kabinet.core.form_html import text
from kabinet.core.templatetags.cached_url import cached_reverse, current_app_of
from kabinet.identity.models import AccountLink

register = template.Library()

CLOSED = ' <span class="badge badge-closed">закрыт</span>'


@register.simple_tag(takes_context=True)
def profile_account_rows(context: template.Context, links: list[AccountLink]) -> SafeString:
    """A row per account the customer holds: number (and «закрыт»), address, region, «Удалить»."""
    app = current_app_of(context)
    return mark_safe("".join(_row(link, app) for link in links))  # noqa: S308 -- escaped by _row


def _row(link: AccountLink, app: str | None) -> str:
    account = link.account
    number = text(account.number)
    remove = text(cached_reverse("portal:confirm_remove_account", (link.pk,), {}, app))
    # The whitespace is the old {% for %} body's: a newline and indents before and after the row.
    return (
        f'\n      <tr>\n        <th scope="row">{number}{"" if account.is_active else CLOSED}</th>\n'
        f'        <td data-label="Адрес">{text(account.premises.address)}</td>\n'
        f'        <td data-label="Регион">{text(account.region.name)}</td>\n'
        f'        <td><a href="{remove}" aria-label="Удалить лицевой счёт {number}">Удалить</a></td>\n'
        "      </tr>\n    "
    )
