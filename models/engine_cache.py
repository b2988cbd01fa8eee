"""Where TensorRT engines live and when they are stale.

A plan runs only on the GPU architecture, TensorRT version and precision it was built for, with the
shape profile it was given, from the ONNX it was built from: all of that is the cache key. A plan whose
key no longer matches, or that fails to deserialize, is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import sha256_of


@dataclass(frozen=True)
class ShapeProfile:
    """min / opt / max shape of one dynamic input."""

    name: str
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]


@dataclass(frozen=True)
class EngineKey:
    model: str
    onnx_sha256: str
    gpu_name: str
    compute_capability: str
    tensorrt_version: str
    precision: str
    profiles: tuple[ShapeProfile, ...]

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def key_for(
    model: str,
    onnx_path: Path,
    gpu_name: str,
    compute_capability: str,
    tensorrt_version: str,
    precision: str,
    profiles: tuple[ShapeProfile, ...],
) -> EngineKey:
    if precision not in ("fp32", "fp16"):
        raise ValueError(f"precision must be fp32 or fp16, got {precision!r}")
    return EngineKey(model, sha256_of(onnx_path), gpu_name, compute_capability, tensorrt_version, precision, profiles)


class EngineCache:
    """``<folder>/<model>-<digest>.plan`` with a ``.json`` beside it naming the key in words."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def plan_path(self, key: EngineKey) -> Path:
        return self.folder / f"{key.model}-{key.digest()}.plan"

    def lookup(self, key: EngineKey) -> Path | None:
        """The cached plan for exactly this key, or None (then build)."""
        path = self.plan_path(key)
        return path if path.is_file() and path.with_suffix(".json").is_file() else None

    def store(self, key: EngineKey, plan: bytes) -> Path:
        """Write atomically; plans of the same model with other keys are stale and removed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.plan_path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(plan)
        tmp.replace(path)
        path.with_suffix(".json").write_text(json.dumps(asdict(key), indent=2))
        for old in self.folder.glob(f"{key.model}-*.plan"):
            if old != path:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        return path

    def invalidate(self, key: EngineKey) -> None:
        """Forget a plan that failed to deserialize."""
        path = self.plan_path(key)
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)
