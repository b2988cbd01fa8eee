"""A loaded frame encoder pack, batched on the chosen backend: MobileNetV2 (dequantized TFLite, the
default) or ResNet18 (torchvision weights, the downloadable alternative)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from avevents.core.settings import DEFAULT_RUNNER, RunnerSettings

from . import mobilenet_v2, resnet18
from .export import export_onnx, verified_export
from .label_map import resolve
from .pixels import FRAMES_INPUT, PixelNorm
from .runners import InputSpec, choose_backend
from .runners.batching import shared_runner
from .runners.select import FoldedPreprocess, activate_with_fallback
from .store import InstalledPack

log = logging.getLogger(__name__)

IMAGE_SIZE = 224
IMAGE_INPUT = InputSpec("image", (None, 3, IMAGE_SIZE, IMAGE_SIZE))
OUTPUTS = ("logits", "embedding")
# Dynamic axes (min, opt, max) a TensorRT engine is built for: batches of pictures.
VISION_RANGES = {"image": {0: (1, 32, 64)}}
VISION_PACK = "mobilenet-v2-imagenet"


@dataclass(frozen=True)
class Architecture:
    """How one frame-encoder pack is built and fed."""

    weights: Callable[[InstalledPack], str]  # the weights file's name in the pack
    load: Callable[[Path], torch.nn.Module]
    pixels: PixelNorm  # the input normalisation (NumPy on the host, or in the module on a GPU)
    label_offset: int  # lines of imagenet_labels.txt before output 0
    embedding_dim: int


ARCHITECTURES = {
    "mobilenet-v2-imagenet": Architecture(
        lambda pack: "mobilenet_v2_1.0_224_quant.tflite", mobilenet_v2.load_tflite, mobilenet_v2.PIXELS, 0, 1280
    ),
    "resnet18-imagenet": Architecture(
        lambda pack: next(f.name for f in pack.spec.files if f.name.endswith(".pth")),
        resnet18.load_resnet18,
        resnet18.PIXELS,
        1,
        512,
    ),
}


class VisionEncoder:
    """ImageNet class probabilities and embeddings of uint8 RGB frames [B, 224, 224, 3]."""

    def __init__(
        self, pack: InstalledPack, backend: str = "", device: str = "", settings: RunnerSettings = DEFAULT_RUNNER
    ):
        self.pack = pack
        self.name, self.version = pack.spec.name, pack.spec.version
        self.arch = ARCHITECTURES[pack.spec.name]
        self.weights = pack.file(self.arch.weights(pack))
        self.embedding_dim = self.arch.embedding_dim
        lines = pack.file("imagenet_labels.txt").read_text().splitlines()
        self.labels = lines[self.arch.label_offset :]
        self.audioset_map = resolve(self.labels)  # AudioSet label -> output indices
        self.backend, self.device = choose_backend(backend, device, settings)
        self.runner = shared_runner(
            activate_with_fallback(
                self.backend,
                self.device,
                build=lambda: self.arch.load(self.weights),
                onnx_path=self.onnx_path,
                inputs=(IMAGE_INPUT,),
                outputs=OUTPUTS,
                engine=(pack.spec.name, pack.path / "engines", VISION_RANGES),
                folded=FoldedPreprocess((FRAMES_INPUT,), self.arch.pixels.module),
                settings=settings,
            ),
            settings,
            max_batch=VISION_RANGES["image"][0][2],
        )
        self.backend, self.device = self.runner.backend, self.runner.device
        # uint8 frames straight to the runner when it normalises them on its device.
        self.normalizes_on_device = self.runner.inputs[0].name == FRAMES_INPUT.name
        if self.normalizes_on_device:
            log.info("%s: picture normalisation runs on %s", self.name, self.device)

    def onnx_path(self) -> Path:
        """The cached export, checked against the sha256 recorded when it was written each time the
        encoder loads it (a modified or unrecorded export is exported again), not only by `models build`."""
        return verified_export(lambda: export_vision_onnx(self.pack))

    def encode(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(softmax probabilities [B, classes], embeddings [B, D]) of uint8 frames [B, 224, 224, 3]."""
        if self.normalizes_on_device:
            out = self.runner.infer({FRAMES_INPUT.name: np.ascontiguousarray(frames, dtype=np.uint8)})
        else:
            out = self.runner.infer({IMAGE_INPUT.name: self.arch.pixels(frames)})
        logits = out["logits"] - out["logits"].max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True), out["embedding"]

    def close(self) -> None:
        self.runner.deactivate()


def export_vision_onnx(pack: InstalledPack) -> Path:
    """The encoder's ONNX export (dynamic batch, 224x224), made once per weights file, cached in the pack."""
    arch = ARCHITECTURES[pack.spec.name]
    weights = pack.file(arch.weights(pack))
    sha = {f["name"]: f for f in pack.manifest["files"]}[weights.name]["sha256"]
    path = pack.path / "onnx" / f"{weights.stem}-{sha[:12]}.onnx"
    if not path.is_file():
        path.parent.mkdir(exist_ok=True)
        export_onnx(
            arch.load(weights),
            torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE),
            path,
            IMAGE_INPUT.name,
            list(OUTPUTS),
            {"image": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        )
    return path
