"""Where TensorRT engines live and when they are stale.

A plan runs only on the GPU architecture, TensorRT version and precision it was built for, with the
shape profile it was given, from the ONNX it was built from: all of that is the cache key. A plan whose
key no longer matches, or that fails to deserialize, is rebuilt. The ``.json`` beside a plan also records
the plan's sha256 when it was written; a plan that no longer matches it (or has no record) is stale too:
it is removed and rebuilt (a plan is derived data, so nothing is lost and no user action is needed).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import digest_problem, file_digest, forget_digest

log = logging.getLogger(__name__)
PLAN_SHA256 = "plan_sha256"  # the key in a plan's .json holding the plan's digest


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
    return EngineKey(model, file_digest(onnx_path), gpu_name, compute_capability, tensorrt_version, precision, profiles)


class EngineCache:
    """``<folder>/<model>-<digest>.plan`` with a ``.json`` beside it naming the key in words."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def plan_path(self, key: EngineKey) -> Path:
        return self.folder / f"{key.model}-{key.digest()}.plan"

    def lookup(self, key: EngineKey) -> Path | None:
        """The cached plan for exactly this key that still matches its recorded sha256, or None (then
        build). A plan that does not match its record is removed."""
        path = self.plan_path(key)
        if not path.is_file() or not path.with_suffix(".json").is_file():
            return None
        problem = _plan_problem(path)
        if problem is not None:
            log.warning("TensorRT engine %s is stale: %s; it will be rebuilt", path, problem)
            self.invalidate(key)
            return None
        return path

    def store(self, key: EngineKey, plan: bytes) -> Path:
        """Write atomically with the plan's sha256 in its ``.json``; plans of the same model with other
        keys are stale and removed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.plan_path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(plan)
        tmp.replace(path)
        record = {**asdict(key), PLAN_SHA256: hashlib.sha256(plan).hexdigest()}
        path.with_suffix(".json").write_text(json.dumps(record, indent=2))
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
        forget_digest(path)


def _plan_problem(path: Path) -> str | None:
    """Why the plan at ``path`` must not be loaded (no record, modified), or None."""
    try:
        recorded = json.loads(path.with_suffix(".json").read_text()).get(PLAN_SHA256)
    except (OSError, ValueError, AttributeError):
        recorded = None
    if not isinstance(recorded, str):
        return "no sha256 was recorded when it was built"
    return digest_problem(path, recorded, "built")
