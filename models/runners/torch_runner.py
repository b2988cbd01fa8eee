"""PyTorch runner: CPU or CUDA, fp32 or fp16, eager or compiled (``torch.compile``; CUDA graphs on a GPU)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
import torch

from .base import InputSpec, Runner, RunnerError, in_row_chunks

log = logging.getLogger(__name__)

# Compiled graphs are specialised to their shapes: batches are padded up to one of these sizes, so a
# model compiles (and, on CUDA, records a graph) at most this many times. 64 is the batcher's largest.
COMPILE_BATCHES = (8, 16, 32, 64)


def compile_bucket(rows: int) -> int:
    """The padded batch size ``rows`` runs at when compiled (larger batches run in chunks of the largest)."""
    return next((size for size in COMPILE_BATCHES if size >= rows), COMPILE_BATCHES[-1])


class TorchRunner(Runner):
    backend = "torch"

    def __init__(
        self,
        build: Callable[[], torch.nn.Module],
        inputs: tuple[InputSpec, ...],
        outputs: tuple[str, ...],
        device: str = "cpu",
        precision: str = "fp32",
        compile: bool = False,
    ):
        super().__init__(inputs, outputs, device)
        if precision not in ("fp32", "fp16"):
            raise RunnerError(f"precision must be fp32 or fp16, got {precision!r}")
        if precision == "fp16" and not device.startswith("cuda"):
            raise RunnerError("fp16 needs a CUDA device")
        self.build = build
        self.precision = precision
        self.compile = compile
        self.model: Callable | None = None
        self.compiled_batches: set[int] = set()  # padded sizes compiled so far
        # A compiled CUDA graph is replayed from one thread at a time (the batcher's dispatcher, or here).
        self._lock = threading.Lock()

    def _activate(self) -> None:
        model = self.build().eval().to(self.device)
        model = model.half() if self.precision == "fp16" else model
        if self.compile:
            # reduce-overhead: inductor kernels replayed as CUDA graphs (one launch per batch) on a GPU.
            mode = "reduce-overhead" if self.device.startswith("cuda") else "default"
            model = torch.compile(model, mode=mode, dynamic=False)
        self.model = model
        self.compiled_batches = set()

    def _deactivate(self) -> None:
        self.model = None  # its compiled graphs go with it (not torch._dynamo.reset: other models' too)
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.compile:
            return self._run(feeds)
        with self._lock:
            return in_row_chunks(feeds, COMPILE_BATCHES[-1], self._run_padded)

    def _run_padded(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """A compiled run: the rows padded (repeating the last) to their compiled batch size, then cut back."""
        n = len(feeds[self.inputs[0].name])
        size = compile_bucket(n)
        if size not in self.compiled_batches:
            log.info("compiling the %s network for batches of %d (once per size and start)", self.backend, size)
            self.compiled_batches.add(size)
        padded = {name: np.concatenate((a, np.repeat(a[-1:], size - n, axis=0))) if size > n else a
                  for name, a in feeds.items()}  # fmt: skip
        return {name: value[:n] for name, value in self._run(padded).items()}

    def _run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        dtype = torch.float16 if self.precision == "fp16" else torch.float32
        args = [self._tensor(feeds[s.name], s, dtype) for s in self.inputs]
        with torch.inference_mode():
            out = self.model(*args)
        out = out if isinstance(out, tuple) else (out,)
        # .cpu() copies: a CUDA graph's output buffers are overwritten by its next replay.
        return {name: t.float().cpu().numpy() for name, t in zip(self.outputs, out)}

    def _tensor(self, array: np.ndarray, spec: InputSpec, dtype: torch.dtype) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if spec.dtype.startswith("float"):
            return tensor.to(self.device, dtype)
        return tensor.to(self.device)  # raw data (uint8 frames) is converted by the module, on the device
