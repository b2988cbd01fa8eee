"""Print avevents' import graph by layer: edges between layers, wrong-way imports, and how many
modules each entry point pulls in (statically, from the source; and at run time, in a fresh process).

    python bench/import_graph.py [--edges]
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import layers

ENTRY_POINTS = ("avevents.daemon.client", "avevents.cli.detect", "avevents.cli.main", "avevents.engine.pipeline")
_RUNTIME = (
    "import importlib, sys, time; t = time.perf_counter(); importlib.import_module({name!r}); "
    "t = time.perf_counter() - t; ours = [m for m in sys.modules if m.startswith('avevents')]; "
    "heavy = [m for m in ('torch', 'av', 'onnxruntime', 'numpy', 'onnx') if m in sys.modules]; "
    "print(len(ours), len(sys.modules), ','.join(heavy) or '-', f'{{t:.2f}}')"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="list every import between two layers")
    args = parser.parse_args()
    edges = layers.imports()
    between = collections.Counter(
        (layers.layer(e.source), layers.layer(e.target))
        for e in edges
        if layers.layer(e.source) != layers.layer(e.target)
    )
    print(f"{len(layers.modules())} modules, {len(edges)} imports of our own modules")
    print("\nlayer -> layer            imports")
    for (src, dst), count in sorted(between.items(), key=lambda kv: (layers.RANK[kv[0][0]], kv[0])):
        print(f"{src:>9} -> {dst:<12} {count:6d}")
    wrong = layers.wrong_way(edges)
    print(f"\nwrong-way or sideways imports: {len(wrong)}")
    for edge in wrong:
        print(f"  {edge.source}:{edge.line} -> {edge.target}{' (deferred)' if edge.deferred else ''}")
    if args.edges:
        for edge in edges:
            print(f"  {edge.source} -> {edge.target}")
    print("\nentry point                  static  ours at run time  all modules  heavy libraries  import s")
    for name in ENTRY_POINTS:
        static = len(layers.reachable(name, edges))
        out = subprocess.run([sys.executable, "-c", _RUNTIME.format(name=name)], capture_output=True, text=True)
        ours, total, heavy, seconds = out.stdout.split() if out.returncode == 0 else ("?",) * 4
        print(f"{name:<28} {static:6d}  {ours:>16}  {total:>11}  {heavy:<15}  {seconds:>8}")


if __name__ == "__main__":
    main()
