"""{% extends %} with the root layout's blocks found once (core.templatetags.kept_blocks): the
same pages as Django's tag, and the layout is not walked for its blocks again."""

from django.template import Context, Engine, engines
from django.template.base import NodeList
from django.template.loader_tags import ExtendsNode
import pytest

from kabinet.core.templatetags.kept_blocks import KeptBlocksExtendsNode

TEMPLATES = {
    "root.html": "<{% block title %}root{% endblock %}|{% if on %}{% block body %}body{% endblock %}{% endif %}>",
    "middle.html": '{% extends "root.html" %}{% block title %}middle+{{ block.super }}{% endblock %}',
    "leaf.html": '{% extends "middle.html" %}{% block body %}leaf {{ name }}+{{ block.super }}{% endblock %}',
    "chosen.html": "{% extends parent %}{% block title %}chosen{% endblock %}",
}


def engine(*builtins: str) -> Engine:
    """Through the cached loader, as in production: each template compiled once."""
    locmem = ("django.template.loaders.locmem.Loader", TEMPLATES)
    return Engine(loaders=[("django.template.loaders.cached.Loader", [locmem])], builtins=list(builtins))


@pytest.mark.parametrize("name", ["root.html", "middle.html", "leaf.html"])
@pytest.mark.parametrize("on", [True, False])
def test_the_same_pages_as_djangos_tag(name, on):
    ours, djangos = engine("kabinet.core.templatetags.kept_blocks"), engine()
    context = {"on": on, "name": "<Анна>"}
    for _ in range(2):  # the second render uses the kept blocks
        assert ours.get_template(name).render(Context(context)) == djangos.get_template(name).render(Context(context))


def test_a_parent_given_as_a_variable():
    ours = engine("kabinet.core.templatetags.kept_blocks")
    chosen = ours.get_template("chosen.html")
    assert ours.get_template("chosen.html") is chosen  # the cached loader's: blocks kept beside it
    for _ in range(2):
        for parent, page in [
            ("root.html", "<chosen|body>"),
            ("middle.html", "<chosen|body>"),  # the child's title replaces the middle's
            (ours.get_template("root.html"), "<chosen|body>"),
        ]:
            assert chosen.render(Context({"parent": parent, "on": True})) == page
    leaf = ours.get_template("leaf.html")
    assert leaf.render(Context({"on": True, "name": "Анна"})) == "<middle+root|leaf Анна+body>"


def test_the_project_extends_with_it_and_walks_the_layout_once(monkeypatch):
    page = engines["django"].engine.get_template("portal/login.html")
    assert isinstance(page.nodelist[0], KeptBlocksExtendsNode)
    page.render(Context({}))
    walks = []
    walk = NodeList.get_nodes_by_type

    def counted(self, nodetype):
        walks.append(nodetype)
        return walk(self, nodetype)

    monkeypatch.setattr(NodeList, "get_nodes_by_type", counted)
    page.render(Context({}))
    assert walks == []
    assert issubclass(KeptBlocksExtendsNode, ExtendsNode)
