"""A loaded fusion pack: the modality-attention network on the chosen backend, with its encoders named.

A fusion pack is a local pack (made by training on this machine) holding ``fusion.pt`` and
``fusion.json``; its manifest's task is ``FUSION_TASK``. It scores labels from per-segment embeddings
of the tagger and the frame encoder it was trained with, which the detector runs first.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from avevents.core.settings import DEFAULT_RUNNER, RunnerSettings

from .catalog import FUSION_TASK, is_fusion_pack
from .export import export_onnx, verified_export
from .fusion import (
    CONFIG_FILE,
    OUTPUTS,
    WEIGHTS_FILE,
    FusionConfig,
    ModalityAttentionFusion,
    example_inputs,
    load_fusion,
    save_fusion,
)
from .runners import InputSpec, choose_backend
from .runners.select import activate_with_fallback
from .store import InstalledPack, ModelStore

log = logging.getLogger(__name__)
__all__ = ["FUSION_TASK", "FusionModel", "export_fusion_onnx", "fusion_io", "install_fusion_pack", "is_fusion_pack"]
# TensorRT profile: (min, opt, max) per dynamic axis; segments up to two hours of half-second slots.
SEGMENT_RANGE = (1, 240, 14400)


def install_fusion_pack(
    store: ModelStore, name: str, model: ModalityAttentionFusion, version: str = "1", description: str = ""
) -> InstalledPack:
    """Save a trained network into the store as local pack ``name``."""
    staging = store.root / f".{name}.staging"
    files = save_fusion(model, staging)
    config = model.config
    pack = store.install_local(
        name,
        version,
        FUSION_TASK,
        files,
        extra={"labels": selectable_labels(config), "encoders": [config.audio_encoder, config.video_encoder]},
        description=description or f"{len(config.labels)} labels from {config.audio_encoder} + {config.video_encoder}",
    )
    for f in files:
        f.unlink(missing_ok=True)
    staging.rmdir()
    return pack


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def selectable_labels(config: FusionConfig) -> list[str]:
    """The labels a request can ask for (an exclusive pack's last label is its background class)."""
    return list(config.labels[:-1] if config.exclusive else config.labels)


def fusion_io(config: FusionConfig) -> tuple[tuple[InputSpec, ...], dict]:
    """The network's inputs and their TensorRT (min, opt, max) ranges per dynamic axis."""
    inputs = (
        InputSpec("audio", (None, None, config.audio_dim)),
        InputSpec("video", (None, None, config.video_dim)),
        InputSpec("present", (None, None, 2)),
    )
    return inputs, {spec.name: {0: (1, 1, 4), 1: SEGMENT_RANGE} for spec in inputs}


class FusionModel:
    """Fused, audio and video label probabilities and attention weights from segment embeddings."""

    def __init__(
        self, pack: InstalledPack, backend: str = "", device: str = "", settings: RunnerSettings = DEFAULT_RUNNER
    ):
        self.pack = pack
        self.name, self.version = pack.spec.name, pack.spec.version
        self.config = FusionConfig.from_json(pack.file(CONFIG_FILE).read_text())
        self.labels = list(self.config.labels)  # every output, the background class of an exclusive pack too
        self.weights_sha256 = pack.spec.file(WEIGHTS_FILE).sha256
        self.inputs, ranges = fusion_io(self.config)
        self.backend, self.device = choose_backend(backend, device, settings)
        self.runner = activate_with_fallback(
            self.backend,
            self.device,
            build=lambda: load_fusion(pack.path, self.weights_sha256, pack.repair_hint()),
            onnx_path=self.onnx_path,
            inputs=self.inputs,
            outputs=OUTPUTS,
            engine=(pack.spec.name, pack.path / "engines", ranges),
            settings=settings,
        )
        self.backend, self.device = self.runner.backend, self.runner.device
        log.info("%s ready on %s (%s)", self.name, self.device, self.backend)

    def onnx_path(self) -> Path:
        """The cached export, checked against the sha256 recorded when it was written each time the
        model loads it (a modified or unrecorded export is exported again), not only by `models build`."""
        return verified_export(lambda: export_fusion_onnx(self.pack))

    def predict(self, audio: np.ndarray, video: np.ndarray, present: np.ndarray) -> dict[str, np.ndarray]:
        """Per segment of one file: ``fused``/``audio``/``video`` probabilities [T, C] and ``weights`` [T, 2].
        Inputs: audio [T, Da], video [T, Dv], present [T, 2]."""
        feeds = {
            "audio": np.ascontiguousarray(audio[None], dtype=np.float32),
            "video": np.ascontiguousarray(video[None], dtype=np.float32),
            "present": np.ascontiguousarray(present[None], dtype=np.float32),
        }
        out = self.runner.infer(feeds)

        activate = _softmax if self.config.exclusive else _sigmoid
        return {
            "fused": activate(out["logits"][0]),
            "audio": activate(out["audio_logits"][0]),
            "video": activate(out["video_logits"][0]),
            "weights": out["weights"][0].astype(np.float64),
        }

    def close(self) -> None:
        self.runner.deactivate()


def export_fusion_onnx(pack: InstalledPack) -> Path:
    """The network's ONNX export (dynamic batch and segments), made once per weights file, cached in the pack."""
    sha = pack.spec.file(WEIGHTS_FILE).sha256
    path = pack.path / "onnx" / f"fusion-{sha[:12]}.onnx"
    if not path.is_file():
        path.parent.mkdir(exist_ok=True)
        model = load_fusion(pack.path, sha, pack.repair_hint())
        axes = {0: "batch", 1: "segments"}
        export_onnx(
            model,
            example_inputs(model.config),
            path,
            ["audio", "video", "present"],
            list(OUTPUTS),
            {name: axes for name in ("audio", "video", "present", *OUTPUTS)},
        )
    return path
