"""`{% once key … %}…{% endonce %}`: a piece of a template drawn once per process for each
value of its keys, then written from memory.

The layout's chrome (the header's links, the menu, the footer) is the same for every customer
yet cost a signed-in page about a sixth of its CPU: a dozen `{% url %}` and `{% static %}`
tags and their conditions, drawn again on every request (docs/performance.md, step 8). What
such a piece may depend on is checked when the template is compiled, not trusted: its body may
hold only text, `{% url %}` and `{% static %}` with literal arguments or keys, `{% if %}` on
keys and literals, and `{{ key }}`, none with filters (a filter may read the request's time
zone or language). Anything else (a block, the CSRF token, a variable that is not a key, an
include) is a TemplateSyntaxError naming it, so a per-request value can never be drawn once
and shown to the next customer.

A key's value must be a str (a literal's SafeString too), an int, a bool or None (anything else
is drawn every time), and the drawings are also keyed by what `{% url %}` and the words depend
on: the namespace's current instance, the URLconf, the script prefix, the language, and whether
autoescaping is on.
The static files' URLs are the same for every request of a deployment; a test changing a
setting (override_settings) clears every drawing.
"""

from collections.abc import Iterator
from typing import Any
from weakref import WeakSet

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import FilterExpression, Node, NodeList, TextNode, VariableNode
from django.template.defaulttags import IfNode, URLNode
from django.templatetags.static import StaticNode
from django.utils.safestring import SafeString

from kabinet.core.templatetags.cached_url import current_app_of, reversing_with

register = template.Library()

_ALL: "WeakSet[OnceNode]" = WeakSet()  # without the cached loader (DEBUG) templates come and go
MAX_DRAWINGS = 64  # a node's keys take a few values (a flag, a section, a region's contacts)
# What a key's value may be. SafeString is what a literal becomes ({% include … with tab="list" %}):
# its type is in the drawing's key, so it is never drawn as the same text in a str.
_PLAIN = frozenset({str, SafeString, int, bool, type(None)})
_DRAWN_WITH = object()  # its key in the render context


class OnceNode(Node):
    def __init__(self, keys: list[FilterExpression], nodelist: NodeList):
        self.keys, self.nodelist = keys, nodelist
        self.drawings: dict[tuple, str] = {}
        _ALL.add(self)

    def render(self, context: template.Context) -> str:
        values = tuple(expression.resolve(context) for expression in self.keys)
        # Plain values only, their types in the key: 1 and True, or a str and a SafeString, are
        # equal keys but drawn differently; a model instance equals another state of itself; a
        # datetime is shown in the request's time zone. Anything else is drawn every time.
        if not all(type(value) in _PLAIN for value in values):
            return self.nodelist.render(context)
        key = (*_drawn_with(context), context.autoescape, tuple(map(type, values)), values)
        try:
            return self.drawings[key]
        except KeyError:
            pass
        if len(self.drawings) >= MAX_DRAWINGS:
            self.drawings.clear()
        drawing = self.drawings[key] = self.nodelist.render(context)  # safe text, as a NodeList renders
        return drawing


def _drawn_with(context: template.Context) -> tuple:
    """What `{% url %}` and the words depend on beyond the keys: the namespace's current
    instance, the URLconf, the script prefix and the language. Read once per render: they are
    context-locals, a few microseconds each, and a page has several pieces."""
    root = context.render_context.dicts[0]
    found = root.get(_DRAWN_WITH)
    if found is None:
        found = root[_DRAWN_WITH] = (current_app_of(context), *reversing_with())
    return found


@receiver(setting_changed)
def _forget_drawings(**kwargs) -> None:
    """Tests change STATIC_URL, the URLconf or the language with override_settings."""
    for node in list(_ALL):  # another thread may be compiling a template
        node.drawings.clear()


@register.tag
def once(parser: template.base.Parser, token: template.base.Token) -> OnceNode:
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    for key in keys:
        if key.filters or not isinstance(key.var, template.Variable) or key.var.literal is not None:
            raise template.TemplateSyntaxError(f"{{% once %}} takes variables as keys, not «{key.token}»")
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    names = {key.var.var for key in keys}
    for node in _walk(nodelist):
        _check(node, names)
    return OnceNode(keys, nodelist)


def _walk(nodelist: NodeList) -> Iterator[Node]:
    for node in nodelist:
        yield node
        if isinstance(node, IfNode):
            for _, branch in node.conditions_nodelists:
                yield from _walk(branch)


def _check(node: Node, names: set[str]) -> None:
    """Refuses a node whose output could depend on anything but the keys."""
    if isinstance(node, TextNode):
        return
    if isinstance(node, VariableNode):
        expressions = [node.filter_expression]
    elif isinstance(node, IfNode):
        expressions = [e for condition, _ in node.conditions_nodelists for e in _condition_expressions(condition)]
    elif isinstance(node, URLNode) and node.asvar is None:
        expressions = [node.view_name, *node.args, *node.kwargs.values()]
    elif isinstance(node, StaticNode) and node.varname is None:
        expressions = [node.path]
    else:
        raise template.TemplateSyntaxError(
            f"{{% once %}} cannot hold «{node.token.contents}»: drawn once, it would be kept"
        )
    for expression in expressions:
        _check_expression(expression, names, node)


def _check_expression(expression: FilterExpression, names: set[str], node: Node) -> None:
    if expression.filters:
        raise template.TemplateSyntaxError(f"{{% once %}} takes no filters: «{node.token.contents}»")
    value = expression.var
    if isinstance(value, template.Variable) and value.literal is None and value.var not in names:
        raise template.TemplateSyntaxError(
            f"{{% once %}} may read only its keys; «{node.token.contents}» reads «{value.var}»"
        )


def _condition_expressions(condition: Any) -> Iterator[FilterExpression]:
    """The FilterExpressions of an {% if %} condition: a literal leaf or an operator's sides."""
    if condition is None:  # {% else %}
        return
    if condition.id == "literal":  # TemplateLiteral
        yield condition.value
        return
    for side in (condition.first, condition.second):
        if side is not None:
            yield from _condition_expressions(side)
