"""The AudioSet ontology's tree (bundled, CC BY-SA 4.0) and the label families drawn from it.

A label's family is the label and every class below it ("Dog": Bark, Yip, Howl, Bow-wow, Growling,
Whimper). In AudioSet a child implies its parent, but the tagger scores each class on its own: a chuckle
may score Chuckle 0.5 and Laughter 0.2. A family's score is the highest of its members', so asking for
Laughter finds the chuckle.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

ONTOLOGY = Path(__file__).with_name("bundled") / "audioset_ontology.json"


@cache
def _tree() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(name by id, child ids by id) of the bundled ontology."""
    nodes = json.loads(ONTOLOGY.read_text(encoding="utf-8"))
    return {n["id"]: n["name"] for n in nodes}, {n["id"]: tuple(n["child_ids"]) for n in nodes}


def descendants(name: str) -> list[str]:
    """Names of every node below ``name`` (any depth, each once, in the tree's order); [] for a leaf or
    a name the ontology lacks."""
    return list(_descendants(name))


@cache
def _descendants(name: str) -> tuple[str, ...]:
    names, children = _tree()
    ids = [i for i, n in names.items() if n == name]
    seen: dict[str, None] = {}
    stack = [c for i in ids for c in reversed(children[i])]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen[node] = None
            stack.extend(reversed(children[node]))
    return tuple(names[i] for i in seen)


def family(name: str, classes: set[str] | dict[str, int]) -> list[str]:
    """``name`` and the members of ``classes`` below it in the ontology."""
    return [name] + [x for x in descendants(name) if x in classes and x != name]
