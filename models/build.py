"""``avevents models build``: the ONNX export of a pack (what ONNX Runtime runs and TensorRT builds
from) and, where TensorRT and a CUDA device exist, its engine for that GPU and precision."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .networks import kind_of
from .runners import RunnerError
from .store import ModelStore


@dataclass
class BuildResult:
    name: str
    onnx: Path
    engine: Path | None
    reason: str = ""  # why no engine, when there is none


def build(store: ModelStore, name: str, device: str = "cuda:0", precision: str = "fp16", progress=None) -> BuildResult:
    """The pack's ONNX export (checked against its recorded sha256, made again when stale) and, where
    TensorRT can run, its engine.

    :param store: the store the pack is installed in.
    :param name: an installed pack with a network.
    :param device: the GPU the engine is built for.
    :param precision: ``fp16`` or ``fp32``.
    :param progress: called with a line of text at each step.
    :raises RunnerError: the pack has no network with an ONNX form.
    :raises IntegrityError: one of the pack's files was modified after it was installed.
    """
    pack = store.require(name)
    kind = kind_of(pack)
    if kind.io is None or kind.export is None:
        raise RunnerError(f"{name} has no network to build")
    inputs, outputs, ranges = kind.io(pack)
    onnx = kind.export(pack)
    if progress:
        progress(f"ONNX export ready: {onnx}")
    try:
        from .runners.tensorrt_runner import TensorRTRunner

        runner = TensorRTRunner(name, onnx, pack.path / "engines", inputs, outputs, ranges, device, precision)
        return BuildResult(name, onnx, runner.engine_path(progress))
    except RunnerError as exc:
        return BuildResult(name, onnx, None, str(exc))
