"""What our context processors put into every template's context is read by some template:
a key nobody reads is work on every page for nothing (the review found an unread DEBUG)."""

from pathlib import Path
import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.module_loading import import_string
import pytest

import kabinet

OURS = [path for path in settings.TEMPLATES[0]["OPTIONS"]["context_processors"] if path.startswith("kabinet.")]


def templates_text() -> str:
    """The variables and tags of every template (`{{ … }}`, `{% … %}`), not their prose: a page
    that mentions «DEBUG» in a sentence does not read a variable."""
    root = Path(kabinet.__file__).parent
    pages = (path.read_text(encoding="utf-8") for path in root.glob("*/templates/**/*.html"))
    return "\n".join(tag for page in pages for tag in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", page, re.S))


def test_the_walk_sees_our_processors_and_templates():
    assert len(OURS) >= 3 and "contact_phone" in templates_text()


@pytest.mark.parametrize("path", OURS)
def test_every_key_is_read_by_a_template(db, path):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = {}
    text = templates_text()
    unread = [key for key in import_string(path)(request) if not re.search(rf"\b{re.escape(key)}\b", text)]
    assert unread == []
