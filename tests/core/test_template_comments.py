"""Django's {# #} comment spans one line: one left open shows its text (and «#}») on the page."""

from pathlib import Path

import kabinet


def test_no_template_comment_spans_lines():
    root = Path(kabinet.__file__).parent
    open_comments = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == [], "use {% comment %} … {% endcomment %} for these"
