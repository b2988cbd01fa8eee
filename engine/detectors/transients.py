"""Transients: sudden loud onsets (claps, slates, bangs, door slams) as short events.

An onset is a jump of the high-frequency-weighted level within a few milliseconds, well above
everything in the preceding tenth of a second, reaching near the clip's loud level. Speech onsets rise
over tens of milliseconds and stay below the loud level of a clip that has claps in it.
"""

from __future__ import annotations

import numpy as np

from avevents.core.results import GridTrack, LabelOptions

from ..media.decode import AudioBlock
from ..postprocess import PointCandidates
from .base import Detector, DetectorSpec
from .levels import LevelMeter, loud_reference

RATE = 16000
HOP = 80  # 5 ms
LOOKBACK = 20  # compare with the loudest of the preceding 100 ms ...
GUARD = 2  # ... leaving out the last 10 ms (the attack itself)
ATTACK_HOPS = 2  # the rise must happen within 10 ms
MIN_RISE_DB = 15.0  # rise that scores 0.5
MIN_BROADBAND_RISE_DB = 8.0  # the broadband level must jump too: a plosive inside a word rises in the high
# frequencies only, hardly above the word's own level just before it
RISE_SLOPE_DB = 3.0
PEAK_BELOW_LOUD_DB = 12.0  # the peak must reach within this of the clip's loud level
DECAY_DB = 12.0  # the event lasts until the level falls this far below its peak ...
DECAY_WITHIN = 0.08  # ... which must happen this soon in the broadband level: a clap dies away,
# a plosive is followed by its vowel
MAX_LENGTH = 0.5
CHUNK = 12000  # hops (60 s) analysed at a time


class TransientDetector(Detector):
    spec = DetectorSpec(
        name="transients",
        labels=("Transient",),
        modality="audio",
        model="avevents-onsets 1",
        sample_rate=RATE,
        defaults=(("Transient", LabelOptions(0.5, 0.5, 0.0, 0.15)),),
        description="sudden loud onsets: claps, slates, bangs",
    )

    def __init__(self) -> None:
        self.meter = LevelMeter(HOP, emphasis=0.97)
        self.broadband = LevelMeter(HOP)

    def feed_audio(self, block: AudioBlock) -> None:
        self.meter.push(block.samples, block.start_seconds)
        self.broadband.push(block.samples, block.start_seconds)

    def finish(self) -> list[PointCandidates]:
        levels = self.meter.levels()
        broadband = self.broadband.levels()
        start = self.meter.start or 0.0
        n = len(levels)
        times: list[float] = []
        lengths: list[float] = []
        scores: list[float] = []
        if n > LOOKBACK + 1:
            loud = loud_reference(levels)
            # Chunk by chunk: the working arrays stay the size of a chunk however long the clip.
            for lo in range(LOOKBACK, n, CHUNK):
                hi = min(n, lo + CHUNK)
                for i, best_rise in _onsets(levels, broadband, lo, hi, loud):
                    length = _decay_length(levels, broadband, i)
                    if length is None:
                        continue
                    times.append(start + i * HOP / RATE)
                    lengths.append(length)
                    scores.append(1.0 / (1.0 + np.exp(-(best_rise - MIN_RISE_DB) / RISE_SLOPE_DB)))
        return [PointCandidates("Transient", np.array(times), np.array(lengths), np.array(scores))]

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "audio", HOP / RATE, HOP / RATE, RATE)


def _features(levels: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For hops lo..hi-1 (lo >= LOOKBACK): the rise over the loudest of the preceding window, the
    attack over ATTACK_HOPS, and the loudest of the next four hops."""
    n = len(levels)
    current = levels[lo:hi]
    # Loudest level in [t - LOOKBACK, t - GUARD) for every t, via a sliding maximum.
    before = np.lib.stride_tricks.sliding_window_view(levels[lo - LOOKBACK : hi - GUARD], LOOKBACK - GUARD)
    rise = current - before[: hi - lo].max(axis=1)
    attack = current - levels[lo - ATTACK_HOPS : hi - ATTACK_HOPS]
    ahead = levels[lo : min(n, hi + 3)]
    ahead = np.pad(ahead, (0, hi + 3 - lo - len(ahead)), mode="edge")
    peak_ahead = np.lib.stride_tricks.sliding_window_view(ahead, 4).max(axis=1)[: hi - lo]
    return rise, attack, peak_ahead


def _onsets(levels: np.ndarray, broadband: np.ndarray, lo: int, hi: int, loud: float) -> list[tuple[int, float]]:
    """(hop, best rise) of each onset starting in [lo, hi)."""
    margin = ATTACK_HOPS + 2  # a candidate run starting at hi-1 is scored on hops past hi
    first = max(LOOKBACK, lo - 1)  # one hop before lo tells whether a run starts at lo
    last = min(len(levels), hi + margin)
    rise, attack, peak_ahead = _features(levels, first, last)
    broadband_rise = _features(broadband, first, last)[0]
    candidate = (
        (rise >= MIN_RISE_DB - 2 * RISE_SLOPE_DB)
        & (attack >= 0.5 * MIN_RISE_DB)
        & (peak_ahead >= loud - PEAK_BELOW_LOUD_DB)
        # The broadband level may peak a hop or two after the emphasised one.
        & (_peak_rise(broadband_rise, ATTACK_HOPS + 1) >= MIN_BROADBAND_RISE_DB)
    )
    # The first hop of each run of candidates is the onset.
    starts = np.flatnonzero(candidate & ~np.concatenate(([False], candidate[:-1])))
    out = []
    for k in starts.tolist():
        i = first + k
        if lo <= i < hi:
            # The codec may smear the attack over the hop before it: score the largest rise nearby.
            out.append((i, float(np.max(rise[k : k + margin]))))
    return out


def _peak_rise(rise: np.ndarray, ahead: int) -> np.ndarray:
    """The largest rise at each hop or up to ``ahead`` hops after it."""
    padded = np.pad(rise, (0, ahead), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, ahead + 1).max(axis=1)


def _decay_length(levels: np.ndarray, broadband: np.ndarray, i: int) -> float | None:
    """Seconds from onset ``i`` until the level falls DECAY_DB below its peak, or None when it does not
    within DECAY_WITHIN (in the emphasised and the broadband level): then it is no transient."""
    n = len(levels)
    peak_index = i + int(np.argmax(levels[i : i + 4]))
    peak = levels[peak_index]
    j = peak_index
    limit = min(n, i + int(MAX_LENGTH * RATE / HOP))
    while j < limit and levels[j] > peak - DECAY_DB:
        j += 1
    if (j - peak_index) * HOP / RATE > DECAY_WITHIN:
        return None
    window = broadband[i : i + int(DECAY_WITHIN * RATE / HOP) + 4]
    peak_bb = int(np.argmax(window[:4]))
    if not np.any(window[peak_bb:] <= window[peak_bb] - DECAY_DB):
        return None
    return max(j - i, 1) * HOP / RATE
