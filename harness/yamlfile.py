"""The one reader of the YAML files a user writes: task cards, leaderboards, `--config` and accelerate config files.

`yaml.safe_load` already refuses tags that would build Python objects, but a few hundred bytes of anchors and aliases
("billion laughs") describe a value of billions of nodes: safe_load builds it cheaply as shared objects, and the first
walk over it (a card's hash, a value printed in an error) then eats all memory. A file nested thousands of levels
deep overflows the composer's recursion instead. This loader bounds both while composing, so every such file fails
in milliseconds with one line that names it, and ordinary anchors (a shared settings block) keep working.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from harness.errors import UserError

MAX_DEPTH = 100                  # nesting levels; real cards and leaderboards use fewer than ten
MAX_EXPANDED = 10_000_000        # characters of scalars (plus one per node) once every alias is written out


class _TooLarge(ComposerError):
    """A document past MAX_DEPTH or MAX_EXPANDED: well-formed YAML, refused for its size."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents nested deeper than MAX_DEPTH or larger than MAX_EXPANDED once expanded."""

    _depth = 0

    def fetch_flow_collection_start(self, token_class):
        # `[[[[...` is refused as the scanner meets it: the scanner keeps one pending key per open bracket and
        # rechecks them all at every token, so thousands of open brackets cost seconds before composing starts.
        if self.flow_level >= MAX_DEPTH:
            raise _TooLarge(None, None, f"nested more than {MAX_DEPTH} levels deep", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooLarge(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self):
        node = super().compose_document()
        _check_expanded_size(node)
        return node


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expanded_size(root) -> None:
    """Size of the document with every alias written out, computed once per node (iteratively: alias chains can be
    deeper than Python's recursion limit); an alias inside its own anchor is refused too."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()           # nodes on the current path: meeting one again is a cycle
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            own = len(node.value) + 1 if isinstance(node, yaml.ScalarNode) else 1
            sizes[key] = min(MAX_EXPANDED + 1, own + sum(sizes[id(child)] for child in _children(node)))
            open_nodes.discard(key)
            if sizes[key] > MAX_EXPANDED:
                raise _TooLarge(None, None, f"its aliases (*name) expand it to more than {MAX_EXPANDED:,} "
                                    "characters; write the values out instead", node.start_mark)
        elif key in open_nodes:
            raise _TooLarge(None, None, "an alias (*name) refers to the node that contains it",
                                node.start_mark)
        elif key not in sizes:
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def parse(text: str) -> Any:
    """The YAML document in `text`, read with safe tags and the bounds above (yaml.YAMLError otherwise)."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def describe(exc: yaml.YAMLError) -> str:
    """One line for a YAML error: where (line) and what, without PyYAML's multi-line excerpt of the file."""
    mark = getattr(exc, "problem_mark", None)
    line = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return f"invalid YAML{line}: {' '.join(str(problem).split())}"


def read(path: str | Path, what: str) -> Any:
    """The parsed YAML file at `path`; anything wrong (unreadable, not UTF-8, invalid, nested too deep, an alias
    bomb) is one UserError naming `what` ("task card", "leaderboard", ...) and the file."""
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path} is not valid UTF-8 (bad byte at offset {exc.start})",
                        hint="save it as UTF-8") from None
    try:
        return parse(text)
    except yaml.YAMLError as exc:
        hint = None if isinstance(exc, _TooLarge) else "check indentation and quoting"
        raise UserError(f"{what} {path}: {describe(exc)}", hint=hint) from None
