"""Backend choice: explicit when asked, else tensorrt -> torch cuda -> onnxruntime cpu, logged."""

from __future__ import annotations

import importlib.util
import logging

log = logging.getLogger(__name__)
BACKENDS = ("tensorrt", "torch", "onnxruntime")


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # a broken CUDA install means no CUDA
        return False


def choose_backend(requested: str = "", device: str = "") -> tuple[str, str]:
    """(backend, device) to use. ``requested`` empty: the best available, with the reason logged."""
    if requested:
        if requested not in BACKENDS:
            from .base import RunnerError

            raise RunnerError(f"unknown backend {requested!r} (choose from {', '.join(BACKENDS)})")
        return requested, device or ("cuda:0" if requested == "tensorrt" else "cpu")
    cuda = _cuda_available() and not device.startswith("cpu")
    if cuda and importlib.util.find_spec("tensorrt") is not None:
        # The TensorRT runner builds from the ONNX export; until its engine exists, torch serves.
        log.info("TensorRT is installed; using torch on CUDA until an engine is built (avevents models build)")
        return "torch", device or "cuda:0"
    if cuda:
        log.info("no TensorRT: falling back to torch on %s", device or "cuda:0")
        return "torch", device or "cuda:0"
    log.info("no CUDA device: falling back to ONNX Runtime on the CPU")
    return "onnxruntime", "cpu"


def make_runner(backend: str, device: str, *, build, onnx_path, inputs, outputs, precision: str = "fp32"):
    """A runner for ``backend`` (``build`` makes the torch module, ``onnx_path`` the ONNX file)."""
    from .base import RunnerError

    if backend == "torch":
        from .torch_runner import TorchRunner

        return TorchRunner(build, inputs, outputs, device, precision)
    if backend == "onnxruntime":
        from .onnxruntime_runner import OnnxRuntimeRunner

        return OnnxRuntimeRunner(onnx_path(), inputs, outputs)
    raise RunnerError(f"the {backend} runner is not available in this build; use torch or onnxruntime")
