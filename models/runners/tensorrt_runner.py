"""TensorRT: build an engine from the ONNX export (loader) and run it (runner). Kept thin on purpose:
the ONNX it consumes, the shape profiles and the cache keys are tested on the CPU; this needs a GPU.

TensorRT 10 takes fp16 as a builder flag; 11 removed the flags (strongly typed networks take their
precision from the ONNX graph), so for fp16 it needs an fp16 ONNX, made with onnxconverter-common.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from ..engine_cache import EngineCache, ShapeProfile, key_for
from ..files import sha256_of
from .base import InputSpec, Runner, RunnerError

log = logging.getLogger(__name__)
WORKSPACE_BYTES = 1 << 30


def _tensorrt():
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise RunnerError("TensorRT is not installed: pip install 'avevents[trt]' (needs an NVIDIA GPU)") from exc
    return trt


def gpu_identity(device: str) -> tuple[str, str]:
    """(GPU name, compute capability) of ``cuda:N``."""
    import torch

    if not torch.cuda.is_available():
        raise RunnerError("TensorRT needs a CUDA device; none is visible")
    index = int(device.partition(":")[2] or 0)
    major, minor = torch.cuda.get_device_capability(index)
    return torch.cuda.get_device_name(index), f"{major}.{minor}"


def profiles_for(inputs: tuple[InputSpec, ...], ranges: dict[str, dict[int, tuple[int, int, int]]]) -> tuple:
    """Shape profiles: every dynamic (None) axis of each input gets (min, opt, max) from ``ranges``."""
    out = []
    for spec in inputs:
        lo, opt, hi = [], [], []
        for axis, size in enumerate(spec.shape):
            if size is None:
                if axis not in ranges.get(spec.name, {}):
                    raise RunnerError(f"no (min, opt, max) given for dynamic axis {axis} of {spec.name!r}")
                a, b, c = ranges[spec.name][axis]
                if not a <= b <= c:
                    raise RunnerError(f"{spec.name!r} axis {axis}: need min <= opt <= max, got {a, b, c}")
                lo.append(a), opt.append(b), hi.append(c)
            else:
                lo.append(size), opt.append(size), hi.append(size)
        out.append(ShapeProfile(spec.name, tuple(lo), tuple(opt), tuple(hi)))
    return tuple(out)


def build_plan(onnx_path: Path, profiles: tuple[ShapeProfile, ...], precision: str, progress=None) -> bytes:
    """Serialized engine for ``onnx_path`` (TensorRT 10 or 11)."""
    trt = _tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    major = int(trt.__version__.split(".")[0])
    source = onnx_path
    if precision == "fp16" and major >= 11:
        source = _fp16_onnx(onnx_path)
    builder = trt.Builder(logger)
    # 10.x networks are explicit-batch by default; 11.x takes its precision from the (typed) graph.
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if major >= 11 else 0
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(source).read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RunnerError(f"TensorRT could not parse {source}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    if precision == "fp16" and major < 11:
        config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    for p in profiles:
        profile.set_shape(p.name, p.min, p.opt, p.max)
    config.add_optimization_profile(profile)
    if progress:
        progress("building engine")
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise RunnerError(f"TensorRT failed to build an engine from {source}")
    return bytes(plan)


def _fp16_onnx(onnx_path: Path) -> Path:
    """The fp16 copy of ``onnx_path`` that TensorRT 11 builds from, cached beside it as ``<stem>.fp16.onnx``.

    It is checked like any cached export (``export.verified_export``): a copy modified after it was
    written, or one without a recorded sha256 (cached before digests were recorded, or cut short), is
    converted again rather than built into an engine.
    """
    from ..export import verified_export  # deferred: it imports torch, and only this path needs it

    target = onnx_path.with_name(onnx_path.stem + ".fp16.onnx")
    return verified_export(lambda: _convert_fp16(onnx_path, target))


def _convert_fp16(onnx_path: Path, target: Path) -> Path:
    """``target``, converted from ``onnx_path`` first when it is missing, then its sha256 recorded."""
    if not target.is_file():
        try:
            import onnx
            from onnxconverter_common import float16
        except ImportError as exc:
            raise RunnerError("fp16 with TensorRT 11 needs onnxconverter-common: pip install 'avevents[trt]'") from exc
        from ..export import digest_path

        model = float16.convert_float_to_float16(onnx.load(str(onnx_path)), keep_io_types=True)
        # Written under a temporary name and hashed before it takes the real one, the record last: a crash
        # leaves no file or a file without a record (stale, converted again), never a half-written one.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            onnx.save(model, str(tmp))
            digest = sha256_of(tmp)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        digest_path(target).write_text(digest + "\n")
    return target


class TensorRTRunner(Runner):
    backend = "tensorrt"

    def __init__(
        self,
        model: str,
        onnx_path: Path,
        cache_dir: Path,
        inputs: tuple[InputSpec, ...],
        outputs: tuple[str, ...],
        ranges: dict,
        device: str = "cuda:0",
        precision: str = "fp16",
    ):
        super().__init__(inputs, outputs, device)
        self.model, self.onnx_path, self.cache = model, Path(onnx_path), EngineCache(cache_dir)
        self.profiles = profiles_for(inputs, ranges)
        self.precision = precision
        self.engine = self.context = None

    def engine_path(self, progress=None) -> Path:
        """The cached plan for this GPU / TensorRT / precision / profile, built if missing or stale."""
        trt = _tensorrt()
        gpu, capability = gpu_identity(self.device)
        key = key_for(self.model, self.onnx_path, gpu, capability, trt.__version__, self.precision, self.profiles)
        found = self.cache.lookup(key)
        if found is None:
            log.info("building a TensorRT engine for %s (%s, %s)", self.model, gpu, self.precision)
            found = self.cache.store(key, build_plan(self.onnx_path, self.profiles, self.precision, progress))
        return found

    def _activate(self) -> None:
        trt = _tensorrt()
        import torch

        torch.cuda.set_device(self.device)
        path = self.engine_path()
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self.engine = runtime.deserialize_cuda_engine(path.read_bytes())
        if self.engine is None:  # stale in a way the key did not catch: rebuild once
            self.cache.invalidate(
                key_for(
                    self.model,
                    self.onnx_path,
                    *gpu_identity(self.device),
                    trt.__version__,
                    self.precision,
                    self.profiles,
                )
            )
            self.engine = runtime.deserialize_cuda_engine(self.engine_path().read_bytes())
        self.context = self.engine.create_execution_context()

    def _deactivate(self) -> None:
        import torch

        self.context = self.engine = None
        torch.cuda.empty_cache()

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        stream = torch.cuda.current_stream(self.device)
        keep = []
        for spec in self.inputs:
            tensor = torch.from_numpy(np.ascontiguousarray(feeds[spec.name])).to(self.device)
            keep.append(tensor)
            self.context.set_input_shape(spec.name, tuple(tensor.shape))
            self.context.set_tensor_address(spec.name, tensor.data_ptr())
        results = {}
        for name in self.outputs:
            shape = tuple(self.context.get_tensor_shape(name))
            out = torch.empty(shape, dtype=torch.float32, device=self.device)
            self.context.set_tensor_address(name, out.data_ptr())
            results[name] = out
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise RunnerError("TensorRT execution failed")
        stream.synchronize()
        return {name: t.cpu().numpy() for name, t in results.items()}
