"""ONNX Runtime runner (CPU), over an exported ONNX file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from .base import InputSpec, Runner, RunnerError


def release_freed_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc's malloc_trim, Linux)."""
    import ctypes
    import gc
    import sys

    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


class OnnxRuntimeRunner(Runner):
    backend = "onnxruntime"

    def __init__(self, path: Path, inputs: tuple[InputSpec, ...], outputs: tuple[str, ...], threads: int = 0):
        super().__init__(inputs, outputs, "cpu")
        self.path = Path(path)
        # Inference runs while decoding waits (one job is sequential), so it may use the cores; 0 = auto.
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.session = None

    def _activate(self) -> None:
        import onnxruntime as ort

        if not self.path.is_file():
            raise RunnerError(f"ONNX model missing: {self.path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.log_severity_level = 3
        # Without ORT's CPU arena, a session's memory goes back to the system when it is released
        # (an arena keeps it for the life of the process): unloading a model must free its memory.
        options.enable_cpu_mem_arena = False
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        names = {i.name for i in self.session.get_inputs()}
        missing = {s.name for s in self.inputs} - names
        if missing:
            raise RunnerError(f"{self.path} has no input(s) {sorted(missing)}")

    def _deactivate(self) -> None:
        self.session = None
        release_freed_memory()

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        values = self.session.run(list(self.outputs), {s.name: feeds[s.name] for s in self.inputs})
        return dict(zip(self.outputs, values))
