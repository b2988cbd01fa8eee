"""A loaded AudioSet tagger pack: labels, mel front end and a runner, scoring windows in batches."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from avevents.core.settings import DEFAULT_RUNNER, RunnerSettings

from .audioset_labels import LabelSet, read_labels
from .catalog import TAGGER_PACKS
from .efficientat import CHECKPOINTS, LAST_CHANNELS, load_checkpoint
from .export import export_onnx, verified_export
from .mel import LogMel
from .runners import InputSpec, choose_backend
from .runners.batching import shared_runner
from .runners.select import activate_with_fallback
from .store import InstalledPack

log = logging.getLogger(__name__)

MEL_INPUT = InputSpec("mel", (None, 1, 128, None))
OUTPUTS = ("logits", "embedding")
# Dynamic axes (min, opt, max) a TensorRT engine is built for: batches of windows, mel frames.
TAGGER_RANGES = {"mel": {0: (1, 32, 64), 3: (32, 200, 1000)}}


def mel_device(runner_device: str, settings: RunnerSettings = DEFAULT_RUNNER) -> str:
    """Where the log-mel front end runs: on the runner's GPU (torch or TensorRT on CUDA, with torch's
    CUDA there) unless ``settings.device_preprocess`` is off; else the CPU. On the CPU the front end takes
    0.3-0.7 s of a core per 10 minutes of audio on the development machine: host work that would
    otherwise pace a GPU analysis."""
    if runner_device.startswith("cuda") and settings.device_preprocess_on(runner_device) and torch.cuda.is_available():
        return runner_device
    return "cpu"


class AudioSetTagger:
    """EfficientAT from an installed pack, on the chosen backend (default: best available)."""

    def __init__(
        self, pack: InstalledPack, backend: str = "", device: str = "", settings: RunnerSettings = DEFAULT_RUNNER
    ):
        self.pack = pack
        self.config = CHECKPOINTS[TAGGER_PACKS[pack.spec.name]]
        files = {f["name"]: f for f in pack.manifest["files"]}
        self.checkpoint = next(pack.file(n) for n in files if n.endswith(".pt"))
        self.checkpoint_sha256 = files[self.checkpoint.name]["sha256"]
        self.labels = LabelSet(read_labels(pack.file("class_labels_indices.csv")))
        self.name = pack.spec.name
        self.version = pack.spec.version
        self.embedding_dim = self.config.channels(LAST_CHANNELS)
        self.backend, self.device = choose_backend(backend, device, settings)
        self.runner = shared_runner(
            activate_with_fallback(
                self.backend,
                self.device,
                build=self._build,
                onnx_path=self.onnx_path,
                inputs=(MEL_INPUT,),
                outputs=OUTPUTS,
                engine=(pack.spec.name, pack.path / "engines", TAGGER_RANGES),
                settings=settings,
            ),
            settings,
            max_batch=TAGGER_RANGES["mel"][0][2],
        )
        self.backend, self.device = self.runner.backend, self.runner.device
        self.mel = LogMel(device=mel_device(self.device, settings))
        log.info("%s ready on %s (%s)", self.name, self.device, self.backend)

    def _build(self) -> torch.nn.Module:
        return load_checkpoint(self.checkpoint, self.config, self.checkpoint_sha256)

    def onnx_path(self) -> Path:
        return export_tagger_onnx(self.pack)

    def score(self, mel_windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sigmoid scores [B, 527] and embeddings [B, C] of log-mel windows [B, 1, 128, T]."""
        out = self.runner.infer({"mel": np.ascontiguousarray(mel_windows, dtype=np.float32)})
        return 1.0 / (1.0 + np.exp(-out["logits"])), out["embedding"]

    def close(self) -> None:
        self.runner.deactivate()


def export_tagger_onnx(pack: InstalledPack) -> Path:
    """The tagger's ONNX export (dynamic batch and frames), made once per checkpoint, cached in the pack
    and checked against the sha256 recorded when it was written each time it is asked for (a modified
    export is made again).

    :param pack: an installed tagger pack.
    :returns: the path of a verified export.
    :raises IntegrityError: the checkpoint itself was modified after it was installed.
    """
    return verified_export(lambda: _cached_tagger_onnx(pack))


def _cached_tagger_onnx(pack: InstalledPack) -> Path:
    """The export's path in the pack, exported first when it is missing."""
    config = CHECKPOINTS[TAGGER_PACKS[pack.spec.name]]
    files = {f["name"]: f for f in pack.manifest["files"]}
    checkpoint = next(pack.file(n) for n in files if n.endswith(".pt"))
    sha = files[checkpoint.name]["sha256"]
    path = pack.path / "onnx" / f"{config.name}-{sha[:12]}.onnx"
    if not path.is_file():
        path.parent.mkdir(exist_ok=True)
        export_onnx(
            load_checkpoint(checkpoint, config, sha),
            torch.zeros(1, 1, 128, 200),
            path,
            MEL_INPUT.name,
            list(OUTPUTS),
            {"mel": {0: "batch", 3: "frames"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        )
    return path
