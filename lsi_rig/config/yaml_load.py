"""Reading rig YAML without surprises: ``safe_load`` semantics plus the refusals it lacks.

PyYAML's ``safe_load`` runs no code, but it silently keeps the *last* of two equal keys (a
typo'd second ``dmd:`` section wins without a word), turns ``on:``/``yes:`` keys into booleans,
and expands anchors/aliases by reference, so a few hundred bytes of nested aliases ("billion
laughs") become a document whose traversal never ends. Here:

* the text is bounded (:data:`MAX_RIG_BYTES`) before parsing;
* the composed node graph is measured with aliases expanded (memoised, so measuring is cheap)
  and refused above :data:`MAX_EXPANDED_NODES` nodes;
* a repeated key in one mapping is refused with both line numbers;
* keys must be scalars (strings or numbers: the photodiode tables are keyed by gain in dB).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lsi_rig.core.errors import ConfigError

#: A rig file is a few kB; anything larger is not a rig file.
MAX_RIG_BYTES = 1 << 20
#: Nodes of the document with every alias expanded (a full rig file has a few hundred).
MAX_EXPANDED_NODES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _RigLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate and non-scalar keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                raise ConfigError(
                    f"line {line}: a mapping key must be a plain name, not a "
                    f"{'list' if isinstance(key_node, SequenceNode) else 'mapping'}"
                )
            key = self.construct_object(key_node, deep=False)
            if isinstance(key, bool):
                raise ConfigError(
                    f"line {line}: key {key_node.value!r} reads as the boolean {key} in YAML; "
                    "quote it if it is a name"
                )
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable scalar cannot occur; refuse rather than guess
                raise ConfigError(f"line {line}: key {key_node.value!r} is not usable") from None
            if first is not None:
                raise ConfigError(
                    f"line {line}: duplicate key {key_node.value!r} (first at line {first}); "
                    "YAML would silently keep only the last one"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: Node, memo: dict[int, int], limit: int) -> int:
    """Nodes of ``node`` with aliases expanded (shared subtrees counted once per use)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = limit + 1  # a node reached again while being measured: a cycle
    total = 1
    if isinstance(node, SequenceNode):
        for child in node.value:
            total += _expanded_size(child, memo, limit)
            if total > limit:
                break
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            total += _expanded_size(key, memo, limit) + _expanded_size(value, memo, limit)
            if total > limit:
                break
    memo[id(node)] = min(total, limit + 1)
    return memo[id(node)]


def load_rig_yaml(text: str, label: str) -> Any:
    """Parse rig YAML text; every refusal is one :class:`ConfigError` line naming ``label``."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_RIG_BYTES:
        raise ConfigError(
            f"{label}: {size} bytes is far too large for a rig file (limit {MAX_RIG_BYTES})"
        )
    loader = _RigLoader(text)
    try:
        return _load(loader, label)
    except RecursionError:
        raise ConfigError(f"{label}: YAML nested too deeply") from None
    finally:
        loader.dispose()


def _load(loader: _RigLoader, label: str) -> Any:
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: malformed YAML{_where(exc)}: {_problem(exc)}") from None
    if root is None:
        return None
    if _expanded_size(root, {}, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
        raise ConfigError(
            f"{label}: anchors and aliases expand to more than {MAX_EXPANDED_NODES} "
            "values (recursive or exponential aliases); write the values out"
        )
    try:
        return loader.construct_document(root)
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: invalid YAML{_where(exc)}: {_problem(exc)}") from None


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _problem(exc: yaml.YAMLError) -> str:
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]
