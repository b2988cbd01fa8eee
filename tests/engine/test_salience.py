"""Ranking the labels present in a range by their peak over their own threshold."""

from __future__ import annotations

import numpy as np

from avevents.core.results import DetectOptions, LabelOptions
from avevents.engine.postprocess import ScoreTrack
from avevents.engine.salience import salient_labels


class _Detector:
    class spec:  # stands for a DetectorSpec
        name = "tagger"

    def default_options(self, label):
        return LabelOptions(threshold={"Speech": 0.6, "Laughter": 0.1}.get(label, 0.5))


def _track(label, scores):
    return ScoreTrack(label, 0.0, 0.5, 0.5, np.asarray(scores, np.float32))


def test_labels_rank_by_peak_over_threshold_inside_the_range():
    tracks = [
        _track("Speech", [0.9, 0.8, 0.1, 0.1]),  # 1.5 x its threshold
        _track("Laughter", [0.0, 0.0, 0.3, 0.0]),  # a laugh at 0.3 is 3 x its own
        _track("Music", [0.0, 0.0, 0.0, 0.45]),
        _track("~hidden", [1.0, 1.0, 1.0, 1.0]),  # tracks for other detectors are never ranked
    ]
    ranked = salient_labels([(_Detector(), tracks)], DetectOptions(), 0.0, 2.0, 3)
    assert [x.label for x in ranked] == ["Laughter", "Speech", "Music"]
    assert abs(ranked[0].peak - 0.3) < 1e-4
    assert ranked[0].peak_seconds == 1.0 and ranked[0].salience == 3.0
    # Only the range counts: from 1.0 s on, Speech peaks at 0.1.
    later = salient_labels([(_Detector(), tracks)], DetectOptions(), 1.0, 2.0, 3)
    assert later[-1].label == "Speech" and later[-1].peak < 0.11
    # A label under one ranked higher is its sound again: left out.
    family = [_track("Laughter", [0.0, 0.5, 0.0, 0.0]), _track("Snicker", [0.0, 0.45, 0.0, 0.0])]
    assert [x.label for x in salient_labels([(_Detector(), family)], DetectOptions(), 0.0, 2.0, 5)] == ["Laughter"]
    # Sensitivity moves the thresholds the ranking divides by.
    keen = salient_labels([(_Detector(), tracks)], DetectOptions(sensitivity=1.0), 0.0, 2.0, 1)
    assert keen[0].threshold == 0.05
