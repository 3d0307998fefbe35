"""`{% extends %}` with the layout's blocks found once per compiled layout: a builtin of the
template engine (settings.TEMPLATES), so it replaces Django's tag in every template.

Django's ExtendsNode walks the whole root layout for its `{% block %}` nodes on every render
(`get_nodes_by_type`), about a tenth of the layout's rendering time (docs/performance.md,
step 8). The blocks of a compiled template never change, so they are kept beside it; a
template recompiled (DEBUG, no cached loader) is a new object and gets its own.
"""

from weakref import WeakKeyDictionary

from django import template
from django.template.base import Template, TextNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode, do_extends

register = template.Library()

_ROOT_BLOCKS: "WeakKeyDictionary[Template, dict[str, BlockNode] | None]" = WeakKeyDictionary()


def root_blocks(parent: Template) -> dict[str, BlockNode] | None:
    """The blocks of `parent` when it is the root of the chain (extends nothing), else None:
    what Django's ExtendsNode.render works out each time."""
    try:
        return _ROOT_BLOCKS[parent]
    except KeyError:
        pass
    blocks = None
    for node in parent.nodelist:
        if not isinstance(node, TextNode):  # the ExtendsNode has to be the first non-text node
            if not isinstance(node, ExtendsNode):
                blocks = {n.name: n for n in parent.nodelist.get_nodes_by_type(BlockNode)}
            break
    _ROOT_BLOCKS[parent] = blocks
    return blocks


class KeptBlocksExtendsNode(ExtendsNode):
    """Django's ExtendsNode.render, with the root's blocks from `root_blocks`."""

    def render(self, context: template.Context) -> str:
        compiled_parent = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        blocks = root_blocks(compiled_parent)
        if blocks is not None:
            block_context.add_blocks(blocks)
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


@register.tag
def extends(parser: template.base.Parser, token: template.base.Token) -> KeptBlocksExtendsNode:
    node = do_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name, node.template_dirs)
