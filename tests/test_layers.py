"""Imports point one way (tests/layers.py says the layers), and the thin client imports no engine."""

from __future__ import annotations

import subprocess
import sys

from . import layers

# Sideways imports between sibling layers, each with its reason. Anything else sideways fails.
ALLOWED_SIDEWAYS = {
    # Training from an editor's marked timeline reads it with the bridge's own timeline reader.
    ("avevents.models.training.timelines", "avevents.plugins.premiere_bridge"),
}


def _allowed(edge: layers.Import) -> bool:
    return any(edge.source == src and edge.target.startswith(dst) for src, dst in ALLOWED_SIDEWAYS)


def test_no_import_points_the_wrong_way():
    bad = [e for e in layers.wrong_way() if not _allowed(e)]
    assert not bad, "\n".join(
        f"{e.source} ({layers.layer(e.source)}) imports {e.target} ({layers.layer(e.target)}) at line {e.line}"
        for e in bad
    )


def test_core_imports_nothing_heavy_or_of_ours():
    for edge in layers.imports():
        if layers.layer(edge.source) == "core":
            assert layers.layer(edge.target) == "core", edge
    for module, path in layers.modules().items():
        if layers.layer(module) == "core":
            text = path.read_text()
            for heavy in ("import grpc", "import av\n", "import torch", "import numpy"):
                assert heavy not in text, f"{module}: {heavy}"


def test_the_grpc_client_imports_no_engine():
    engine = {m for m in layers.reachable("avevents.daemon.client", layers.imports()) if layers.layer(m) == "engine"}
    assert not engine, engine
    code = (
        "import sys, avevents.daemon.client; "
        "print(' '.join(m for m in ('torch', 'av', 'onnxruntime', 'numpy', 'onnx') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert not loaded, f"the client path imports {loaded}"


def test_the_table_knows_every_module():
    for module in layers.modules():
        assert layers.layer(module) in layers.RANK


# Inside the engine: the pieces a detector may use (its interface, decoded media types, score tracks,
# the batching helpers, models) and what plans and drives detectors (never imported by one).
DETECTOR_INTERFACE = (
    "avevents.engine.detectors",  # the package's own leaves (base, slots, features...), not registry
    "avevents.engine.media.decode",
    "avevents.engine.postprocess",
    "avevents.core",
    "avevents.models",
)
DRIVERS = ("avevents.engine.detectors.registry", "avevents.engine.pipeline", "avevents.engine.residency",
           "avevents.engine.result_cache", "avevents.engine.robustness")  # fmt: skip


def test_detectors_are_leaves_that_import_only_their_interface():
    """Detectors never call back into the pipeline or ask the planner again what it decided."""
    bad = []
    for edge in layers.imports():
        source, target = edge.source, edge.target
        if not source.startswith("avevents.engine.detectors.") or source.endswith(".registry"):
            continue
        if target.startswith(DRIVERS) or not target.startswith(DETECTOR_INTERFACE):
            bad.append(f"{source} imports {target} at line {edge.line}")
    assert not bad, bad


def test_resident_models_do_not_depend_on_label_planning():
    sources = ("avevents.engine.residency", "avevents.engine.model_entries")
    bad = [e for e in layers.imports() if e.source in sources and e.target.startswith(DRIVERS)]
    assert not bad, bad
