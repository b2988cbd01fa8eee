"""``avevents models build``: the ONNX export of a pack (what ONNX Runtime runs and TensorRT builds
from) and, where TensorRT and a CUDA device exist, its engine for that GPU and precision."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalog import TAGGER_PACKS, VISION_PACKS, is_fusion_pack
from .export import verified_export
from .runners import RunnerError
from .store import ModelStore

# Dynamic axes of each network as (min, opt, max): batches of windows / pictures, mel frames.
TAGGER_RANGES = {"mel": {0: (1, 32, 64), 3: (32, 200, 1000)}}
VISION_RANGES = {"image": {0: (1, 32, 64)}}


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
    :raises RunnerError: the pack has no network.
    :raises IntegrityError: one of the pack's files was modified after it was installed.
    """
    pack = store.require(name)
    if name in TAGGER_PACKS:
        from .audioset import MEL_INPUT, OUTPUTS, export_tagger_onnx

        onnx, inputs, outputs, ranges = export_tagger_onnx(pack), (MEL_INPUT,), OUTPUTS, TAGGER_RANGES
    elif name in VISION_PACKS:
        from .vision import IMAGE_INPUT, OUTPUTS, export_vision_onnx

        onnx = verified_export(lambda: export_vision_onnx(pack))
        inputs, outputs, ranges = (IMAGE_INPUT,), OUTPUTS, VISION_RANGES
    elif is_fusion_pack(pack):
        from .fusion import OUTPUTS, FusionConfig
        from .fusion_pack import CONFIG_FILE, export_fusion_onnx, fusion_io

        inputs, ranges = fusion_io(FusionConfig.from_json(pack.file(CONFIG_FILE).read_text()))
        onnx, outputs = verified_export(lambda: export_fusion_onnx(pack)), OUTPUTS
    else:
        raise RunnerError(f"{name} has no network to build")
    if progress:
        progress(f"ONNX export ready: {onnx}")
    try:
        from .runners.tensorrt_runner import TensorRTRunner

        runner = TensorRTRunner(name, onnx, pack.path / "engines", inputs, outputs, ranges, device, precision)
        return BuildResult(name, onnx, runner.engine_path(progress))
    except RunnerError as exc:
        return BuildResult(name, onnx, None, str(exc))
