"""Backend choice: explicit when asked (an argument, or ``RunnerSettings.backend``: the daemon's
``--runner``), else tensorrt -> torch cuda -> onnxruntime cpu, logged. ``triton`` sends inference to a
Triton server at ``RunnerSettings.triton_url`` (models named as their packs, see ``avevents export-triton``)."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass

from avevents.core.settings import BACKENDS, DEFAULT_RUNNER, RunnerSettings

from .base import InputSpec, RunnerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldedPreprocess:
    """A network's input preparation moved into its torch module, for a torch runner on a GPU: the runner
    then takes ``inputs`` (raw data, e.g. uint8 frames) and ``wrap(network)`` is the module it runs."""

    inputs: tuple[InputSpec, ...]
    wrap: Callable


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # a broken CUDA install means no CUDA
        return False


def choose_backend(requested: str = "", device: str = "", settings: RunnerSettings = DEFAULT_RUNNER) -> tuple[str, str]:
    """(backend, device) to use. ``requested`` (else ``settings.backend``) empty: the best available,
    with the reason logged."""
    requested = requested or settings.backend
    if requested == "triton":
        url = settings.triton_url
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
    settings: RunnerSettings = DEFAULT_RUNNER,
):
    """A runner for ``backend`` (``build`` makes the torch module, ``onnx_path`` the ONNX file;
    ``engine`` = (model name, engine cache folder, dynamic-axis ranges) for TensorRT; ``folded``: the
    preprocessing a torch runner runs on its device when ``settings.device_preprocess_on`` says so)."""
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
        from .torch_runner import TorchRunner

        if folded is not None and settings.device_preprocess_on(device):
            build, inputs = (lambda network=build: folded.wrap(network())), folded.inputs
        return TorchRunner(build, inputs, outputs, device, precision, compile=settings.torch_compile)
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
