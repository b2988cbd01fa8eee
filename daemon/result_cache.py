"""Analysis results kept on disk, so re-running a file with other thresholds, labels or a sub-range skips
decoding and inference: one entry per file and detector holds that detector's score tracks for every
label it can produce (the 527 AudioSet labels too), before post-processing.

Key: the file's identity (resolved path, size, mtime and a hash of three sampled 64 KiB blocks, so a file
rewritten in place within the same second is still told apart), the detector with its models' versions,
the analysed range and the decode settings, and this cache's format. Entries are single ``.npz`` files
written to a temp name and renamed (a crash never leaves a half entry); the least recently used go first
when the cache grows past its limit. ``AVEVENTS_CACHE_DIR`` moves it, ``AVEVENTS_CACHE_MAX_MB`` sizes it
(default 2048), ``AVEVENTS_CACHE=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .paths import user_dir
from .postprocess import PointCandidates, ScoreTrack
from .results import GridTrack

log = logging.getLogger(__name__)
FORMAT = 1
SAMPLE_BYTES = 1 << 16
DEFAULT_MAX_MB = 2048


def default_cache_dir() -> Path:
    return user_dir("cache", "results", "AVEVENTS_CACHE_DIR")


def enabled() -> bool:
    return os.environ.get("AVEVENTS_CACHE", "on").lower() not in ("off", "0", "no", "false")


def file_identity(path: str) -> str:
    """Path, size, mtime and a hash of the first, middle and last 64 KiB."""
    p = Path(path).resolve()
    stat = p.stat()
    digest = hashlib.sha1()
    with open(p, "rb") as fh:
        for offset in sorted({0, max(0, stat.st_size // 2 - SAMPLE_BYTES // 2), max(0, stat.st_size - SAMPLE_BYTES)}):
            fh.seek(offset)
            digest.update(fh.read(SAMPLE_BYTES))
    return f"{p}|{stat.st_size}|{stat.st_mtime_ns}|{digest.hexdigest()}"


@dataclass
class CachedAnalysis:
    """One detector's output for one file and range, as the pipeline needs it back."""

    outputs: list  # ScoreTrack | PointCandidates, every label the detector produces
    grid: GridTrack
    warnings: list[str] = field(default_factory=list)
    luma_thumbnails: bool = False
    picture_fps: float = 0.0


class ResultCache:
    def __init__(self, root: Path | None = None, max_bytes: int | None = None):
        self.root = Path(root) if root else default_cache_dir()
        mb = os.environ.get("AVEVENTS_CACHE_MAX_MB")
        self.max_bytes = max_bytes if max_bytes is not None else int(float(mb) * 2**20) if mb else DEFAULT_MAX_MB << 20

    @staticmethod
    def key(
        identity: str, detector: str, models: list[tuple[str, str]], range_: tuple[float, float], params: dict
    ) -> str:
        text = json.dumps(
            [FORMAT, identity, detector, sorted(models), [round(range_[0], 3), round(range_[1], 3)], params],
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> CachedAnalysis | None:
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                entry = _decode(data)
            os.utime(path)  # recently used
            return entry
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged entry is a miss, and goes
            log.warning("cache entry %s unreadable (%s); dropped", path.name, exc)
            path.unlink(missing_ok=True)
            return None

    def put(self, key: str, entry: CachedAnalysis) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        try:
            np.savez_compressed(tmp, **_encode(entry))
            tmp.replace(path)
        except OSError as exc:  # a full disk must not fail the analysis that just succeeded
            tmp.unlink(missing_ok=True)
            log.warning("could not write the result cache (%s)", exc)
            return
        self.evict()

    def entries(self) -> list[Path]:
        return list(self.root.glob("*/*.npz")) if self.root.is_dir() else []

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.entries())

    def evict(self) -> int:
        """Drop the least recently used entries until the cache fits its limit; how many went."""
        files = sorted(self.entries(), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        dropped = 0
        while files and total > self.max_bytes:
            victim = files.pop(0)
            total -= victim.stat().st_size
            victim.unlink(missing_ok=True)
            dropped += 1
        return dropped

    def clear(self) -> int:
        files = self.entries()
        for p in files:
            p.unlink(missing_ok=True)
        return len(files)


def _encode(entry: CachedAnalysis) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    outputs = []
    for i, out in enumerate(entry.outputs):
        if isinstance(out, PointCandidates):
            outputs.append({"kind": "points", "label": out.label})
            arrays[f"o{i}_times"], arrays[f"o{i}_lengths"], arrays[f"o{i}_scores"] = out.times, out.lengths, out.scores
        else:
            outputs.append(
                {
                    "kind": "track",
                    "label": out.label,
                    "start": out.start_seconds,
                    "step": out.step_seconds,
                    "window": out.window_seconds,
                    "smoothing": out.smoothing_steps,
                    "extras": sorted(out.extras),
                }
            )
            arrays[f"o{i}_scores"] = out.scores
            for name, values in out.extras.items():
                arrays[f"o{i}_x_{name}"] = np.asarray(values)
    meta = {
        "outputs": outputs,
        "grid": [entry.grid.detector, entry.grid.modality, entry.grid.step_seconds, entry.grid.window_seconds,
                 entry.grid.sample_rate],
        "warnings": entry.warnings,
        "luma": entry.luma_thumbnails,
        "picture_fps": entry.picture_fps,
    }  # fmt: skip
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def _decode(data) -> CachedAnalysis:
    meta = json.loads(bytes(data["meta"]).decode())
    outputs: list = []
    for i, out in enumerate(meta["outputs"]):
        if out["kind"] == "points":
            outputs.append(
                PointCandidates(out["label"], data[f"o{i}_times"], data[f"o{i}_lengths"], data[f"o{i}_scores"])
            )
        else:
            extras = {name: data[f"o{i}_x_{name}"] for name in out["extras"]}
            outputs.append(
                ScoreTrack(
                    out["label"],
                    out["start"],
                    out["step"],
                    out["window"],
                    data[f"o{i}_scores"],
                    out["smoothing"],
                    extras,
                )
            )
    return CachedAnalysis(outputs, GridTrack(*meta["grid"]), meta["warnings"], meta["luma"], meta["picture_fps"])


def info() -> dict:
    cache = ResultCache()
    return {
        "path": str(cache.root),
        "entries": len(cache.entries()),
        "bytes": cache.size(),
        "limit_bytes": cache.max_bytes,
        "enabled": enabled(),
        "checked": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
