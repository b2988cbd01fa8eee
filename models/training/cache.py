"""Per-video features for training, computed once with the frozen encoders and cached on disk (keyed by
the file, its size and time, and the encoders), so epochs and re-runs cost nothing."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def _key(path: Path, audio_encoder: str, video_encoder: str, segment_seconds: float) -> str:
    stat = path.stat()
    text = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{audio_encoder}|{video_encoder}|{segment_seconds}"
    return hashlib.sha1(text.encode()).hexdigest()


def video_features(
    path: Path,
    models,
    audio_encoder: str,
    video_encoder: str,
    cache_dir: Path,
    segment_seconds: float = 1.0,
    segments: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(audio [T, Da], video [T, Dv], present [T, 2]) of ``path`` on ``segment_seconds`` segments (cut or
    padded to ``segments`` when given)."""
    from avevents.engine.pipeline import extract_features

    path = Path(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"{_key(path, audio_encoder, video_encoder, segment_seconds)}.npz"
    if cached.is_file():
        with np.load(cached, allow_pickle=False) as data:  # plain arrays only: never unpickle a cache file
            audio, video, present = data["audio"], data["video"], data["present"]
    else:
        features = extract_features(path, models, audio_encoder, video_encoder).regrouped(segment_seconds)
        audio, video, present = features.audio, features.video, features.present
        tmp = cached.with_name(cached.stem + ".tmp.npz")
        np.savez(tmp, audio=audio, video=video, present=present)
        tmp.replace(cached)
    if segments is not None:
        audio, video, present = (_fit(x, segments) for x in (audio, video, present))
    return audio, video, present


def _fit(rows: np.ndarray, n: int) -> np.ndarray:
    if len(rows) >= n:
        return rows[:n]
    if not len(rows):
        return np.zeros((n, *rows.shape[1:]), rows.dtype)
    return np.concatenate((rows, np.repeat(rows[-1:], n - len(rows), axis=0)))
