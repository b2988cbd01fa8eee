"""A loaded frame encoder pack: MobileNetV2 (dequantized TFLite) on the chosen backend, batched."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from .export import export_onnx
from .label_map import resolve
from .mobilenet_v2 import IMAGE_SIZE, load_tflite, preprocess
from .runners import InputSpec, choose_backend
from .runners.select import activate_with_fallback
from .store import InstalledPack

log = logging.getLogger(__name__)

IMAGE_INPUT = InputSpec("image", (None, 3, IMAGE_SIZE, IMAGE_SIZE))
OUTPUTS = ("logits", "embedding")
VISION_PACK = "mobilenet-v2-imagenet"


class VisionEncoder:
    """ImageNet class probabilities and 1280-d embeddings of uint8 RGB frames [B, 224, 224, 3]."""

    def __init__(self, pack: InstalledPack, backend: str = "", device: str = ""):
        self.pack = pack
        self.name, self.version = pack.spec.name, pack.spec.version
        files = {f["name"]: f for f in pack.manifest["files"]}
        self.weights = pack.file("mobilenet_v2_1.0_224_quant.tflite")
        self.weights_sha256 = files[self.weights.name]["sha256"]
        self.labels = pack.file("imagenet_labels.txt").read_text().splitlines()
        self.audioset_map = resolve(self.labels)  # AudioSet label -> ImageNet output indices
        self.backend, self.device = choose_backend(backend, device)
        from .build import VISION_RANGES

        self.runner = activate_with_fallback(
            self.backend,
            self.device,
            build=lambda: load_tflite(self.weights),
            onnx_path=self.onnx_path,
            inputs=(IMAGE_INPUT,),
            outputs=OUTPUTS,
            engine=(pack.spec.name, pack.path / "engines", VISION_RANGES),
        )
        self.backend, self.device = self.runner.backend, self.runner.device

    def onnx_path(self) -> Path:
        return export_vision_onnx(self.pack)

    def encode(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(softmax probabilities [B, 1001], embeddings [B, 1280]) of uint8 frames [B, 224, 224, 3]."""
        out = self.runner.infer({"image": preprocess(frames)})
        logits = out["logits"] - out["logits"].max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True), out["embedding"]

    def close(self) -> None:
        self.runner.deactivate()


def export_vision_onnx(pack: InstalledPack) -> Path:
    """The encoder's ONNX export (dynamic batch, 224x224), made once per weights file, cached in the pack."""
    weights = pack.file("mobilenet_v2_1.0_224_quant.tflite")
    sha = {f["name"]: f for f in pack.manifest["files"]}[weights.name]["sha256"]
    path = pack.path / "onnx" / f"mobilenet_v2-{sha[:12]}.onnx"
    if not path.is_file():
        path.parent.mkdir(exist_ok=True)
        export_onnx(
            load_tflite(weights),
            torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE),
            path,
            IMAGE_INPUT.name,
            list(OUTPUTS),
            {"image": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        )
    return path
