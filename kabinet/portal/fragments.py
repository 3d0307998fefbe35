"""Parts of pages kept rendered in the cache, keyed by the data they show.

A key holds a digest of the rows drawn (`History.fingerprint`), never a counter that writers
bump: an import, an online payment or an edit in /admin/ changes the rows and so the key, and
the next request renders afresh; nothing has to remember to invalidate. The digest of the code
that draws the part is in the key too, so a release with another template or chart never
serves the old HTML."""

from functools import cache
import hashlib
from pathlib import Path
import zlib

from django.core.cache import cache as django_cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

from kabinet.billing import money
from kabinet.billing.history import History
from kabinet.billing.models import PersonalAccount
from kabinet.billing.periods import month_name
from kabinet.core.templatetags import kabinet as filters
from kabinet.portal import charts
from kabinet.portal.charts import Bar, bar_chart

HISTORY_TEMPLATE = "portal/accounts/_history.html"
# Long enough for a visit's clicks back and forth, short enough that the fragments of the
# accounts not visited lately leave the cache by themselves (a branch has a million).
SECONDS = 15 * 60
# Two years of months are about 64 KB of HTML, about 6 KB compressed: the cache holds ten times
# the visitors for a fraction of a millisecond to inflate it.
LEVEL = 1


@cache
def _code_digest() -> str:
    """Of the fragment's template and of the modules that draw into it: the charts, the money's
    wording, the filters the template uses (read once a process)."""
    digest = hashlib.sha256(get_template(HISTORY_TEMPLATE).template.source.encode())
    for module in (charts, money, filters):
        digest.update(Path(module.__file__).read_bytes())  # set-based: not a write (a hash's update)
    digest.update(Path(__file__).read_bytes())  # set-based: not a write (a hash's update)
    return digest.hexdigest()[:16]


def history_html(account: PersonalAccount, history: History) -> SafeString:
    """«Начисления и платежи» below the balance: the charts, their table and the months."""
    key = f"portal:history:{_code_digest()}:{account.pk}:{history.fingerprint()}"
    packed = django_cache.get(key)
    if packed is not None:
        html = zlib.decompress(packed).decode()
    else:
        html = render_to_string(HISTORY_TEMPLATE, _history_context(history))
        django_cache.set(key, zlib.compress(html.encode(), LEVEL), SECONDS)
    return mark_safe(html)  # noqa: S308 -- the template engine escaped it when it rendered it


def _history_context(history: History) -> dict:
    oldest_first = list(reversed(history.months))
    balance_chart = bar_chart(
        [Bar(f"{m.period:%m.%y}", f"{month_name(m.period)}: {money.format_rub(m.balance.closing)}", m.balance.closing)
         for m in oldest_first],
        chart_id="balance-chart",
        title="Сальдо на конец месяца (долг — вверх, переплата — вниз)",
        unit="₽",
    )  # fmt: skip
    unit = history.consumption[0][1] if history.consumption else ""
    consumption_chart = bar_chart(
        [Bar(f"{p:%m.%y}", f"{month_name(p)}: {v:.0f} {u}", v) for p, u, v in history.consumption],
        chart_id="consumption-chart",
        title=f"Потребление электроэнергии, {unit}",
        unit=unit,
    )
    return {
        "history": history,
        "oldest_first": oldest_first,
        "balance_chart": balance_chart,
        "consumption_chart": consumption_chart,
        "consumption_unit": unit,
    }
