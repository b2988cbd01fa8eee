"""Streaming short-time level in dBFS, shared by the loudness-based detectors."""

from __future__ import annotations

import numpy as np

FLOOR_DB = -100.0


class LevelMeter:
    """RMS level of consecutive non-overlapping ``hop``-sample frames, in dBFS.

    ``emphasis`` applies a first-order pre-emphasis (y[n] = x[n] - a*x[n-1]) first, which weights the
    level toward high frequencies: onsets of claps and bangs stand out, hum and rumble do not.
    """

    def __init__(self, hop: int, emphasis: float = 0.0):
        self.hop = hop
        self.emphasis = emphasis
        self.previous = 0.0
        self.leftover = np.zeros(0, np.float32)
        self.parts: list[np.ndarray] = []
        self.start: float | None = None

    def push(self, samples: np.ndarray, start_seconds: float) -> None:
        if self.start is None:
            self.start = start_seconds
        x = samples
        if self.emphasis:
            shifted = np.concatenate(([self.previous], samples[:-1])).astype(np.float32)
            self.previous = float(samples[-1]) if len(samples) else self.previous
            x = samples - self.emphasis * shifted
        data = np.concatenate([self.leftover, x]) if len(self.leftover) else x
        n = len(data) // self.hop
        self.leftover = data[n * self.hop :].copy()
        if n:
            frames = data[: n * self.hop].reshape(n, self.hop)
            power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / self.hop
            self.parts.append(power_to_db(power))

    def levels(self) -> np.ndarray:
        if len(self.leftover):
            power = float(np.mean(np.square(self.leftover, dtype=np.float64)))
            self.parts.append(power_to_db(np.array([power])))
            self.leftover = np.zeros(0, np.float32)
        return np.concatenate(self.parts).astype(np.float32) if self.parts else np.zeros(0, np.float32)


def power_to_db(power: np.ndarray) -> np.ndarray:
    return np.maximum(10.0 * np.log10(np.maximum(power, 1e-12)), FLOOR_DB).astype(np.float32)


def loud_reference(levels_db: np.ndarray) -> float:
    """The clip's own 'loud' level: the 95th percentile of frames above the digital floor."""
    active = levels_db[levels_db > FLOOR_DB + 1]
    return float(np.percentile(active, 95)) if len(active) else FLOOR_DB


def noise_floor(levels_db: np.ndarray) -> float:
    """The clip's own quiet level: the 10th percentile of frame levels."""
    return float(np.percentile(levels_db, 10)) if len(levels_db) else FLOOR_DB
