"""Where a line may break inside what a page shows (issue 11, point 13): the filters that keep
addresses, links and dates whole; tests/e2e/test_layout.py checks the pages themselves."""

from kabinet.core.templatetags.kabinet import breakable, nbsp
from kabinet.notifications.dev_views import body_html


def test_an_email_breaks_only_after_at_and_before_a_dot():
    assert breakable("aleksandra.konstantinopolskaya@example.ru") == (
        "aleksandra<wbr>.konstantinopolskaya@<wbr>example<wbr>.ru"
    )


def test_a_link_breaks_after_its_slashes_and_a_hyphenated_part_stays_whole():
    assert breakable("http://localhost:8000/appeals/66-2026-000001/") == (
        'http://<wbr>localhost:8000/<wbr>appeals/<wbr><span class="nowrap">66-2026-000001/</span>'
    )


def test_what_is_broken_up_is_still_escaped():
    assert breakable('<b>"x"@y.ru') == "&lt;b&gt;&quot;x&quot;@<wbr>y<wbr>.ru"


def test_a_date_in_words_is_one_line():
    assert nbsp("29 ноября 2026, 23:31") == "29\u00a0ноября\u00a02026,\u00a023:31"


def test_the_outbox_shows_a_message_with_its_link_and_number_whole():
    html = body_html("По обращению № 66-2026-000001 дан ответ.\nhttps://lk.example.ru/appeals/1/ <x>")
    assert '№ <span class="nowrap">66-2026-000001</span> дан ответ.<br>' in html
    link = "https://<wbr>lk<wbr>.example<wbr>.ru/<wbr>appeals/<wbr>1/"
    assert f'<a href="https://lk.example.ru/appeals/1/">{link}</a>' in html
    assert html.endswith(" &lt;x&gt;")
