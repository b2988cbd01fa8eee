"""Backend choice: explicit when asked (or ``AVEVENTS_RUNNER``: the daemon's ``--runner``), else
tensorrt -> torch cuda -> onnxruntime cpu, logged. ``triton`` sends inference to a Triton server at
``AVEVENTS_TRITON_URL`` (models named as their packs, see ``avevents export-triton``)."""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from .base import InputSpec, RunnerError, env_switch

log = logging.getLogger(__name__)
BACKENDS = ("tensorrt", "torch", "onnxruntime", "triton")


@dataclass(frozen=True)
class FoldedPreprocess:
    """A network's input preparation moved into its torch module, for a torch runner on a GPU: the runner
    then takes ``inputs`` (raw data, e.g. uint8 frames) and ``wrap(network)`` is the module it runs."""

    inputs: tuple[InputSpec, ...]
    wrap: Callable


def device_preprocess(device: str) -> bool:
    """Whether input preparation runs on ``device`` (``AVEVENTS_DEVICE_PREPROCESS`` on / off; unset or
    auto: on a CUDA device). "on" on the CPU runs the folded module there too (the tests' way to check it)."""
    return env_switch("AVEVENTS_DEVICE_PREPROCESS", device.startswith("cuda"))


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # a broken CUDA install means no CUDA
        return False


def choose_backend(requested: str = "", device: str = "") -> tuple[str, str]:
    """(backend, device) to use. ``requested`` empty: the best available, with the reason logged."""
    requested = requested or os.environ.get("AVEVENTS_RUNNER", "")
    if requested == "triton":
        url = os.environ.get("AVEVENTS_TRITON_URL", "")
        if not url:
            raise RunnerError("the triton runner needs the server's URL (--triton-url or AVEVENTS_TRITON_URL)")
        return "triton", url
    if requested:
        if requested not in BACKENDS:
            raise RunnerError(f"unknown backend {requested!r} (choose from {', '.join(BACKENDS)})")
        return requested, device or ("cuda:0" if requested == "tensorrt" else "cpu")
    cuda = _cuda_available() and not device.startswith("cpu")
    if cuda and importlib.util.find_spec("tensorrt") is not None:
        log.info("CUDA and TensorRT found: using TensorRT on %s", device or "cuda:0")
        return "tensorrt", device or "cuda:0"
    if cuda:
        log.info("no TensorRT: falling back to torch on %s", device or "cuda:0")
        return "torch", device or "cuda:0"
    log.info("no CUDA device: falling back to ONNX Runtime on the CPU")
    return "onnxruntime", "cpu"


def make_runner(
    backend: str,
    device: str,
    *,
    build,
    onnx_path,
    inputs,
    outputs,
    precision: str = "fp32",
    engine: tuple | None = None,
    folded: FoldedPreprocess | None = None,
):
    """A runner for ``backend`` (``build`` makes the torch module, ``onnx_path`` the ONNX file;
    ``engine`` = (model name, engine cache folder, dynamic-axis ranges) for TensorRT; ``folded``: the
    preprocessing a torch runner runs on its device when ``device_preprocess`` says so)."""
    if backend == "tensorrt":
        if engine is None:
            raise RunnerError("this model has no TensorRT engine settings")
        from .tensorrt_runner import TensorRTRunner

        name, cache_dir, ranges = engine
        return TensorRTRunner(name, onnx_path(), cache_dir, inputs, outputs, ranges, device, "fp16")
    if backend == "triton":
        if engine is None:
            raise RunnerError("this model has no name for a Triton server")
        from .triton_runner import TritonRunner

        return TritonRunner(device, engine[0], inputs, outputs)
    if backend == "torch":
        from .torch_runner import TorchRunner, compile_enabled

        if folded is not None and device_preprocess(device):
            build, inputs = (lambda network=build: folded.wrap(network())), folded.inputs
        return TorchRunner(build, inputs, outputs, device, precision, compile=compile_enabled())
    if backend == "onnxruntime":
        from .onnxruntime_runner import OnnxRuntimeRunner

        return OnnxRuntimeRunner(onnx_path(), inputs, outputs)
    raise RunnerError(f"the {backend} runner is not available in this build; use torch or onnxruntime")


def activate_with_fallback(backend: str, device: str, **kwargs):
    """An active runner: ``backend`` if it starts, else the next of tensorrt -> torch cuda ->
    onnxruntime cpu, each fallback logged with its reason."""
    order = [(backend, device)]
    if backend == "tensorrt":
        order.append(("torch", device))
    if backend != "onnxruntime":
        order.append(("onnxruntime", "cpu"))
    last: Exception | None = None
    for name, dev in order:
        try:
            return make_runner(name, dev, **kwargs).activate()
        except Exception as exc:  # any backend that cannot start (a CPU-only torch asserts) -> the next one
            log.warning("the %s runner on %s did not start (%s); falling back", name, dev, exc)
            last = exc
    raise RunnerError(f"no runner could start: {last}")
