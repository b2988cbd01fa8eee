"""avevents' layers and its import graph, read from the source (no module is imported).

Dependencies point one way, from higher layers to lower ones:

    core, proto  <-  models  <-  engine  <-  daemon  <-  plugins, tray, training  <-  cli

The engine still lives in ``daemon/`` (media, detectors, pipeline, ...): ``LAYER_OF`` names which of
its modules belong to which layer, so a move changes this table, not the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Top-level folder -> installed package (pyproject's package-dir).
FOLDERS = {"core": "core", "proto": "proto", "models": "models", "engine": "engine", "daemon": "daemon",
           "plugins": "plugins", "tray": "tray", "cli": "cli"}  # fmt: skip

RANK = {"core": 0, "proto": 0, "models": 1, "engine": 2, "daemon": 3, "plugins": 4, "tray": 4, "training": 4,
        "cli": 5}  # fmt: skip

# Module prefix -> layer; the longest matching prefix wins.
LAYER_OF = {
    "avevents.core": "core",
    "avevents.proto": "proto",
    "avevents.models": "models",
    "avevents.models.training": "training",
    "avevents.engine": "engine",
    "avevents.daemon": "daemon",
    "avevents.plugins": "plugins",
    "avevents.tray": "tray",
    "avevents.cli": "cli",
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported avevents module
    deferred: bool  # inside a function (runs on use, not at import)
    line: int


def layer(module: str) -> str:
    best = max((p for p in LAYER_OF if module == p or module.startswith(p + ".")), key=len)
    return LAYER_OF[best]


def modules() -> dict[str, Path]:
    """Every avevents module of the source tree: name -> file."""
    found = {}
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(("avevents", package, *parts))] = path
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports() -> list[Import]:
    """Every import of an avevents module by an avevents module (``TYPE_CHECKING`` blocks excluded)."""
    known = modules()
    edges = []
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for n in ast.walk(block)
        }
        deferred = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                    for n in ast.walk(f)}  # fmt: skip
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path.name == "__init__.py", node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            for target in targets:
                if target.startswith("avevents."):
                    edges.append(Import(module, target, id(node) in deferred, node.lineno))
    return edges


def wrong_way(edges: list[Import] | None = None) -> list[Import]:
    """Imports from a lower layer to a higher one (or sideways between the top layers' siblings)."""
    bad = []
    for edge in edges if edges is not None else imports():
        src, dst = layer(edge.source), layer(edge.target)
        if src == dst:
            continue
        if RANK[dst] >= RANK[src]:
            bad.append(edge)
    return bad


def reachable(start: str, edges: list[Import], include_deferred: bool = False) -> set[str]:
    """Modules imported (transitively) when ``start`` is imported."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if include_deferred or not edge.deferred:
            graph.setdefault(edge.source, set()).add(edge.target)
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(graph.get(module, ()))
        parts = module.split(".")  # importing a.b.c runs a/__init__ and a.b/__init__ too
        todo.extend(".".join(parts[:i]) for i in range(2, len(parts)))
    return seen
