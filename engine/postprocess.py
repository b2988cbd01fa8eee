"""Post-processing shared by every detector: score tracks on a grid become labelled time ranges.

Smoothing (running median), hysteresis thresholds, gap merging and a minimum duration, in that order;
instantaneous events (cuts) are thresholded and thinned instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avevents.core.results import LabelOptions


@dataclass
class ScoreTrack:
    """Scores in 0..1 for one label; score i covers [start + i*step, start + i*step + window)."""

    label: str
    start_seconds: float
    step_seconds: float
    window_seconds: float
    scores: np.ndarray
    smoothing_steps: int = 1  # running-median length applied before thresholds
    # Per-step companions of the scores, averaged over each range: e.g. the audio and video evidence
    # and the modality attention of a fused track (NaN where a value does not exist).
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def time_of(self, index: int) -> float:
        return self.start_seconds + index * self.step_seconds


@dataclass
class PointCandidates:
    """Instantaneous events (e.g. cuts): a time, a length (one frame) and a score each."""

    label: str
    times: np.ndarray
    lengths: np.ndarray
    scores: np.ndarray


@dataclass
class Range:
    start_seconds: float
    end_seconds: float
    confidence: float
    extras: dict[str, float | None] = field(default_factory=dict)


def median_smooth(scores: np.ndarray, length: int) -> np.ndarray:
    """Running median of odd ``length`` (edges padded with the edge values)."""
    if length <= 1 or len(scores) < 3:
        return scores
    length = length | 1
    half = length // 2
    padded = np.pad(scores, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, length)
    return np.median(windows, axis=1).astype(scores.dtype, copy=False)


def hysteresis(scores: np.ndarray, high: float, low: float) -> list[tuple[int, int]]:
    """Index ranges [i, j) that open where scores reach ``high`` and close where they fall below ``low``."""
    above_high = scores >= high
    if not above_high.any():
        return []
    above_low = scores >= low
    # Runs of "above low"; keep those that contain at least one "above high".
    padded = np.concatenate(([False], above_low, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[::2], edges[1::2]
    high_count = np.concatenate(([0], np.cumsum(above_high)))
    keep = high_count[ends] - high_count[starts] > 0
    return list(zip(starts[keep].tolist(), ends[keep].tolist()))


def merge_close(ranges: list[Range], gap: float) -> list[Range]:
    """Merge ranges separated by less than ``gap`` seconds (confidence: duration-weighted mean)."""
    merged: list[Range] = []
    for r in sorted(ranges, key=lambda r: r.start_seconds):
        if merged and r.start_seconds - merged[-1].end_seconds < gap:
            last = merged[-1]
            d1, d2 = last.end_seconds - last.start_seconds, r.end_seconds - r.start_seconds
            conf = (last.confidence * d1 + r.confidence * d2) / max(d1 + d2, 1e-9)
            extras = {k: _weighted(last.extras.get(k), d1, r.extras.get(k), d2) for k in last.extras}
            merged[-1] = Range(last.start_seconds, max(last.end_seconds, r.end_seconds), conf, extras)
        else:
            merged.append(r)
    return merged


def _mean_or_none(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if len(finite) else None


def _weighted(a: float | None, wa: float, b: float | None, wb: float) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return (a * wa + b * wb) / max(wa + wb, 1e-9)


def track_to_ranges(track: ScoreTrack, options: LabelOptions) -> list[Range]:
    """Turn one score track into ranges with fully resolved ``options``."""
    if len(track.scores) == 0:
        return []
    scores = median_smooth(track.scores.astype(np.float32, copy=False), track.smoothing_steps)
    high = options.threshold if options.threshold is not None else 0.5
    low = options.release_threshold if options.release_threshold is not None else high
    ranges = []
    for i, j in hysteresis(scores, high, min(low, high)):
        start = track.time_of(i)
        end = track.time_of(j)  # the step after the last one above the release level
        extras = {name: _mean_or_none(values[i:j]) for name, values in track.extras.items()}
        ranges.append(Range(start, end, float(np.mean(scores[i:j])), extras))
    ranges = merge_close(ranges, options.merge_gap_seconds or 0.0)
    min_len = options.min_event_seconds or 0.0
    return [r for r in ranges if r.end_seconds - r.start_seconds >= min_len - 1e-9]


def points_to_ranges(points: PointCandidates, options: LabelOptions) -> list[Range]:
    """Keep instantaneous events scoring at least the threshold; of events closer than the merge gap
    (or the minimum event length, read as the shortest shot) keep the strongest."""
    threshold = options.threshold if options.threshold is not None else 0.5
    spacing = max(options.merge_gap_seconds or 0.0, options.min_event_seconds or 0.0)
    keep = np.flatnonzero(points.scores >= threshold)
    chosen: list[int] = []
    for idx in sorted(keep.tolist(), key=lambda k: -points.scores[k]):
        if all(abs(points.times[idx] - points.times[c]) >= spacing for c in chosen):
            chosen.append(idx)
    chosen.sort(key=lambda k: points.times[k])
    return [
        Range(float(points.times[k]), float(points.times[k] + points.lengths[k]), float(points.scores[k]))
        for k in chosen
    ]
