"""The runner interface: activate, infer, deactivate, with input metadata and shared validation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from avevents.core.errors import RunnerError


@dataclass(frozen=True)
class InputSpec:
    """One input: name, dtype and shape with ``None`` for dynamic axes (batch, time)."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str = "float32"

    def check(self, array: np.ndarray) -> None:
        if array.dtype != np.dtype(self.dtype):
            raise RunnerError(f"input {self.name!r}: dtype {array.dtype}, expected {self.dtype}")
        if array.ndim != len(self.shape) or any(
            want is not None and got != want for want, got in zip(self.shape, array.shape)
        ):
            raise RunnerError(f"input {self.name!r}: shape {tuple(array.shape)}, expected {self.shape} (None = any)")


def in_row_chunks(
    feeds: dict[str, np.ndarray], rows: int, run: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """``run`` on consecutive chunks of at most ``rows`` rows of ``feeds`` (split along the batch axis),
    its outputs joined again: for a backend with a largest batch of its own."""
    total = len(next(iter(feeds.values())))
    if total <= rows:
        return run(feeds)
    parts = [run({name: a[lo : lo + rows] for name, a in feeds.items()}) for lo in range(0, total, rows)]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


class Runner(ABC):
    """Execute one network. ``infer`` takes and returns NumPy arrays by name."""

    backend: str = ""

    def __init__(self, inputs: tuple[InputSpec, ...], outputs: tuple[str, ...], device: str = "cpu"):
        self.inputs = inputs
        self.outputs = outputs
        self.device = device
        self.active = False

    def activate(self) -> Runner:
        if not self.active:
            self._activate()
            self.active = True
        return self

    def deactivate(self) -> None:
        if self.active:
            self._deactivate()
            self.active = False

    def infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.active:
            raise RunnerError(f"{type(self).__name__} is not active")
        for spec in self.inputs:
            if spec.name not in feeds:
                raise RunnerError(f"missing input {spec.name!r}")
            spec.check(feeds[spec.name])
        return self._infer(feeds)

    @abstractmethod
    def _activate(self) -> None: ...

    @abstractmethod
    def _deactivate(self) -> None: ...

    @abstractmethod
    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...
