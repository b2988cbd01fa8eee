"""Silence: stretches quiet relative to the clip's own loudness (what a jump-cut edit removes).

The threshold sits between the clip's noise floor and its loud level, so a noisy room and a studio
recording both work; a clip with no quiet parts (continuous music) has no silence, and anything below
-65 dBFS is silence whatever the clip.
"""

from __future__ import annotations

import numpy as np

from avevents.core.results import GridTrack, LabelOptions

from ..media.decode import AudioBlock
from ..postprocess import ScoreTrack
from .base import Detector, DetectorSpec
from .levels import LevelMeter, loud_reference, noise_floor

RATE = 16000
HOP = 320  # 20 ms
ABSOLUTE_SILENCE_DB = -65.0  # quiet in any clip
FLOOR_TO_LOUD_FRACTION = 0.35  # threshold position between the noise floor and the loud level
MIN_CONTRAST_DB = 12.0  # the threshold stays at least this far below the loud level
SCORE_SLOPE_DB = 3.0  # dB below the threshold per unit of the logistic score


class SilenceDetector(Detector):
    spec = DetectorSpec(
        name="silence",
        labels=("Silence",),
        modality="audio",
        model="avevents-levels 1",
        sample_rate=RATE,
        defaults=(("Silence", LabelOptions(0.5, 0.5, 0.5, 0.0)),),
        description="low loudness relative to the clip",
    )

    def __init__(self) -> None:
        self.meter = LevelMeter(HOP)

    def feed_audio(self, block: AudioBlock) -> None:
        self.meter.push(block.samples, block.start_seconds)

    def threshold_db(self, levels: np.ndarray) -> float:
        loud, floor = loud_reference(levels), noise_floor(levels)
        between = floor + FLOOR_TO_LOUD_FRACTION * (loud - floor)
        return max(min(between, loud - MIN_CONTRAST_DB), ABSOLUTE_SILENCE_DB)

    def finish(self) -> list[ScoreTrack]:
        levels = self.meter.levels()
        if len(levels) == 0:
            return [ScoreTrack("Silence", 0.0, HOP / RATE, HOP / RATE, levels)]
        threshold = self.threshold_db(levels)
        # 0.5 at the threshold, toward 1 the quieter the frame.
        scores = 1.0 / (1.0 + np.exp((levels - threshold) / SCORE_SLOPE_DB))
        return [ScoreTrack("Silence", self.meter.start or 0.0, HOP / RATE, HOP / RATE, scores.astype(np.float32), 3)]

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "audio", HOP / RATE, HOP / RATE, RATE)
