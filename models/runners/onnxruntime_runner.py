"""ONNX Runtime runner (CPU), over an exported ONNX file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import InputSpec, Runner, RunnerError


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
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        names = {i.name for i in self.session.get_inputs()}
        missing = {s.name for s in self.inputs} - names
        if missing:
            raise RunnerError(f"{self.path} has no input(s) {sorted(missing)}")

    def _deactivate(self) -> None:
        self.session = None

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        values = self.session.run(list(self.outputs), {s.name: feeds[s.name] for s in self.inputs})
        return dict(zip(self.outputs, values))
