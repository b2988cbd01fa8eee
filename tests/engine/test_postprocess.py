"""Shared post-processing: hysteresis, smoothing, merging, minimum length, point events."""

from __future__ import annotations

import numpy as np

from avevents.core.results import DetectOptions, LabelOptions
from avevents.engine.postprocess import PointCandidates, ScoreTrack, hysteresis, points_to_ranges, track_to_ranges


def test_hysteresis_opens_high_and_closes_low():
    scores = np.array([0.1, 0.4, 0.6, 0.45, 0.38, 0.2, 0.45, 0.1])
    assert hysteresis(scores, 0.5, 0.35) == [(1, 5)]
    assert hysteresis(scores, 0.9, 0.35) == []


def test_track_to_ranges_merges_gaps_and_drops_short_ranges():
    scores = np.zeros(100, np.float32)
    scores[10:30] = 0.9  # 0.2-0.6 s
    scores[33:50] = 0.9  # gap of 0.03 s: merged
    scores[80:82] = 0.9  # 0.02 s: too short
    track = ScoreTrack("X", 0.0, 0.02, 0.02, scores)
    ranges = track_to_ranges(track, LabelOptions(0.5, 0.5, 0.1, 0.1))
    assert [(round(r.start_seconds, 3), round(r.end_seconds, 3)) for r in ranges] == [(0.2, 1.0)]


def test_points_keep_the_strongest_within_spacing():
    points = PointCandidates("Cut", np.array([1.0, 1.1, 3.0]), np.array([0.04] * 3), np.array([0.6, 0.9, 0.4]))
    kept = points_to_ranges(points, LabelOptions(0.5, 0.5, 0.25, 0.0))
    assert [r.start_seconds for r in kept] == [1.1]


def test_options_layering_and_validation():
    opts = DetectOptions(defaults=LabelOptions(threshold=0.7), per_label={"Speech": LabelOptions(min_event_seconds=1)})
    speech = opts.for_label("Speech", LabelOptions(0.5, 0.35, 0.25, 0.5))
    assert speech == LabelOptions(0.7, 0.35, 1, 0.5)
    raised = DetectOptions(defaults=LabelOptions(threshold=0.2)).for_label("Speech", LabelOptions(0.5, 0.35))
    assert raised.release_threshold == 0.2  # never above the threshold
