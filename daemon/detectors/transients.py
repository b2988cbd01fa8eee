"""Transients: sudden loud onsets (claps, slates, bangs, door slams) as short events.

An onset is a jump of the high-frequency-weighted level within a few milliseconds, well above
everything in the preceding tenth of a second, reaching near the clip's loud level. Speech onsets rise
over tens of milliseconds and stay below the loud level of a clip that has claps in it.
"""

from __future__ import annotations

import numpy as np

from ..media.decode import AudioBlock
from ..postprocess import PointCandidates
from ..results import GridTrack, LabelOptions
from .base import Detector, DetectorSpec
from .levels import LevelMeter, loud_reference

RATE = 16000
HOP = 80  # 5 ms
LOOKBACK = 20  # compare with the loudest of the preceding 100 ms ...
GUARD = 2  # ... leaving out the last 10 ms (the attack itself)
ATTACK_HOPS = 2  # the rise must happen within 10 ms
MIN_RISE_DB = 15.0  # rise that scores 0.5
RISE_SLOPE_DB = 3.0
PEAK_BELOW_LOUD_DB = 12.0  # the peak must reach within this of the clip's loud level
DECAY_DB = 12.0  # the event lasts until the level falls this far below its peak ...
DECAY_WITHIN = 0.08  # ... which must happen this soon in the broadband level: a clap dies away,
# a plosive is followed by its vowel
MAX_LENGTH = 0.5


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
        levels = self.meter.levels().astype(np.float64)
        broadband = self.broadband.levels().astype(np.float64)
        start = self.meter.start or 0.0
        empty = PointCandidates("Transient", np.zeros(0), np.zeros(0), np.zeros(0))
        n = len(levels)
        if n <= LOOKBACK + 1:
            return [empty]
        loud = loud_reference(levels)
        # Loudest level in [t - LOOKBACK, t - GUARD) for every t, via a sliding maximum.
        windows = np.lib.stride_tricks.sliding_window_view(levels, LOOKBACK - GUARD)
        before = np.full(n, np.inf)
        before[LOOKBACK:] = windows[: n - LOOKBACK].max(axis=1)
        # The attack: the level now against the level ATTACK_HOPS ago.
        attack = np.full(n, -np.inf)
        attack[ATTACK_HOPS:] = levels[ATTACK_HOPS:] - levels[:-ATTACK_HOPS]
        peak_ahead = np.lib.stride_tricks.sliding_window_view(np.pad(levels, (0, 3), mode="edge"), 4).max(axis=1)
        rise = levels - before
        candidate = (
            (rise >= MIN_RISE_DB - 2 * RISE_SLOPE_DB)
            & (attack >= 0.5 * MIN_RISE_DB)
            & (peak_ahead[:n] >= loud - PEAK_BELOW_LOUD_DB)
        )
        # The first hop of each run of candidates is the onset.
        onsets = np.flatnonzero(candidate & ~np.concatenate(([False], candidate[:-1])))
        times, lengths, scores = [], [], []
        for i in onsets.tolist():
            peak_index = i + int(np.argmax(levels[i : i + 4]))
            peak = levels[peak_index]
            j = peak_index
            limit = min(n, i + int(MAX_LENGTH * RATE / HOP))
            while j < limit and levels[j] > peak - DECAY_DB:
                j += 1
            if (j - peak_index) * HOP / RATE > DECAY_WITHIN:
                continue
            window = broadband[i : i + int(DECAY_WITHIN * RATE / HOP) + 4]
            peak_index_bb = int(np.argmax(window[:4]))
            if not np.any(window[peak_index_bb:] <= window[peak_index_bb] - DECAY_DB):
                continue
            times.append(start + i * HOP / RATE)
            lengths.append(max(j - i, 1) * HOP / RATE)
            # The codec may smear the attack over the hop before it: score the largest rise nearby.
            best_rise = float(np.max(rise[i : i + ATTACK_HOPS + 2]))
            scores.append(1.0 / (1.0 + np.exp(-(best_rise - MIN_RISE_DB) / RISE_SLOPE_DB)))
        return [PointCandidates("Transient", np.array(times), np.array(lengths), np.array(scores))]

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "audio", HOP / RATE, HOP / RATE, RATE)
