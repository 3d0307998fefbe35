"""Reading a page's empty state (the element of class `empty-state`) in tests: its text and links."""

from html.parser import HTMLParser
import re


class EmptyState(HTMLParser):
    """The text and the links inside the page's element of class `empty-state`."""

    def __init__(self, html: str):
        super().__init__()
        self.depth = 0  # >0 inside the empty state: the open elements' count there
        self.found = 0
        self.parts: list[str] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag not in ("br", "img", "input")
            if tag == "a":
                self.links.append(attrs.get("href", ""))
        elif "empty-state" in (attrs.get("class") or "").split():
            self.depth, self.found = 1, self.found + 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()


def empty_state(response) -> EmptyState:
    assert response.status_code in (200, 400), response.status_code
    state = EmptyState(response.content.decode())
    assert state.found == 1, "exactly one empty state on the page"
    return state
