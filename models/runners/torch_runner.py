"""PyTorch runner: CPU or CUDA, fp32 or fp16."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .base import InputSpec, Runner, RunnerError


class TorchRunner(Runner):
    backend = "torch"

    def __init__(
        self,
        build: Callable[[], torch.nn.Module],
        inputs: tuple[InputSpec, ...],
        outputs: tuple[str, ...],
        device: str = "cpu",
        precision: str = "fp32",
    ):
        super().__init__(inputs, outputs, device)
        if precision not in ("fp32", "fp16"):
            raise RunnerError(f"precision must be fp32 or fp16, got {precision!r}")
        if precision == "fp16" and not device.startswith("cuda"):
            raise RunnerError("fp16 needs a CUDA device")
        self.build = build
        self.precision = precision
        self.model: torch.nn.Module | None = None

    def _activate(self) -> None:
        model = self.build().eval().to(self.device)
        self.model = model.half() if self.precision == "fp16" else model

    def _deactivate(self) -> None:
        self.model = None
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        dtype = torch.float16 if self.precision == "fp16" else torch.float32
        args = [torch.from_numpy(feeds[s.name]).to(self.device, dtype) for s in self.inputs]
        with torch.inference_mode():
            out = self.model(*args)
        out = out if isinstance(out, tuple) else (out,)
        return {name: t.float().cpu().numpy() for name, t in zip(self.outputs, out)}
