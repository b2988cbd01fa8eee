"""Silero VAD, run through ONNX Runtime from the model the ``silero-vad`` wheel ships (no download).

The wheel's ``silero_vad_16k_sequence.onnx`` scores a whole run of 32 ms windows in one call while
carrying the LSTM state across calls, so a long file costs a few hundred calls instead of one per
window; its probabilities are identical to the streaming ``silero_vad.onnx`` (checked in the tests).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
from pathlib import Path

import numpy as np

from avevents.core.errors import ModelUnavailable

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WINDOW = 512  # samples scored per step (32 ms at 16 kHz)
CONTEXT = 64  # samples of the previous window the model sees in front of each window
SEQUENCE_MODEL = "silero_vad_16k_sequence.onnx"
STREAMING_MODEL = "silero_vad.onnx"


def model_dir() -> Path:
    """The ``data`` folder of the installed silero-vad wheel, found without importing the package
    (its ``__init__`` imports torch, which would cost seconds at daemon start)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("silero-vad is not installed: pip install silero-vad (a core dependency)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def version() -> str:
    try:
        return importlib.metadata.version("silero-vad")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class SileroVad:
    """A loaded Silero VAD session; thread-safe (the state lives in each ``VadStream``)."""

    name = "silero-vad"

    def __init__(self, model_path: Path | None = None, threads: int = 1):
        import onnxruntime as ort

        path = model_path or model_dir() / SEQUENCE_MODEL
        if not path.is_file():
            raise ModelUnavailable(f"Silero VAD model missing at {path}; reinstall silero-vad")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.version = version()

    def stream(self) -> VadStream:
        """A new stateful scorer for one audio stream at 16 kHz."""
        return VadStream(self)

    def run(self, windows: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        probs, h, c = self.session.run(None, {"input": windows, "h": h, "c": c})
        return probs, h, c


class VadStream:
    """Feeds consecutive 16 kHz mono samples and returns one speech probability per 32 ms window."""

    def __init__(self, model: SileroVad):
        self.model = model
        self.h = np.zeros((1, 1, 128), np.float32)
        self.c = np.zeros((1, 1, 128), np.float32)
        self.tail = np.zeros(CONTEXT, np.float32)  # context for the next window
        self.leftover = np.zeros(0, np.float32)  # samples short of a whole window

    def push(self, samples: np.ndarray) -> np.ndarray:
        data = np.concatenate([self.leftover, samples.astype(np.float32, copy=False)])
        n = len(data) // WINDOW
        self.leftover = data[n * WINDOW :]
        if n == 0:
            return np.zeros(0, np.float32)
        body = data[: n * WINDOW]
        with_context = np.concatenate([self.tail, body])
        # Window k is the CONTEXT samples before it followed by its own WINDOW samples.
        idx = np.arange(n)[:, None] * WINDOW + np.arange(CONTEXT + WINDOW)[None, :]
        windows = with_context[idx]
        self.tail = body[-CONTEXT:].copy()
        probs, self.h, self.c = self.model.run(windows, self.h, self.c)
        return probs.astype(np.float32, copy=False)

    def flush(self) -> np.ndarray:
        """Score the last partial window, zero-padded (as Silero's own utilities do)."""
        if len(self.leftover) == 0:
            return np.zeros(0, np.float32)
        pad = np.zeros(WINDOW - len(self.leftover), np.float32)
        return self.push(pad)
