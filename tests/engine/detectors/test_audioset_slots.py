"""From the tagger's window scores to slot scores, on score tracks recorded from real recordings."""

from __future__ import annotations

import numpy as np
import pytest

from avevents.engine.detectors.audioset import _family_scores, _slot_scores, _trim_quiet_edges
from avevents.models.audioset_operating_points import operating_point

PER_WINDOW = 4  # 2-s windows every 0.5 s
# Laughter-family scores of the 2-s windows of laughtracker_laughter_2.wav (a 2.5-s laugh, both ends
# padded with digital silence), recorded with the real mn04 weights.
LAUGH_WINDOWS = np.array([0.002, 0.146, 0.399, 0.610, 0.028, 0.008, 0.015], np.float32)[:, None]


def test_centred_windows_keep_a_short_real_laugh_that_the_lowest_window_lost():
    centred = _slot_scores(LAUGH_WINDOWS, PER_WINDOW)[:, 0]
    lowest = np.stack([LAUGH_WINDOWS[k : k + 4, 0] for k in range(4)]).min(axis=1)
    threshold = operating_point("Laughter").threshold
    assert lowest.max() < threshold  # the old aggregation: no Laughter event
    assert centred.max() == pytest.approx((0.399 + 0.610) / 2, abs=1e-6)  # slot 1: windows 2 and 3
    assert centred.max() > 2 * threshold
    assert len(centred) == len(LAUGH_WINDOWS) - PER_WINDOW + 1


def test_a_quiet_slot_beside_a_sound_keeps_only_its_own_evidence():
    # A 1-s sound in slots 2-3 over room tone: the centred score hears it in slots 1 and 4 too.
    windows = np.array([0.0, 0.1, 0.6, 0.8, 0.8, 0.6, 0.1, 0.0, 0.0], np.float32)[:, None]
    slots = _slot_scores(windows, PER_WINDOW)
    levels = np.array([-55.0, -54.0, -18.0, -17.0, -55.0, -56.0])
    trimmed = _trim_quiet_edges(slots, windows, PER_WINDOW, levels)[:, 0]
    assert slots[1, 0] > 0.3 and trimmed[1] <= 0.1  # room tone before the sound
    assert trimmed[2] == slots[2, 0] and trimmed[3] == slots[3, 0]  # the sound itself
    # A sustained sound (level with its neighbours) keeps its centred scores.
    steady = _trim_quiet_edges(slots, windows, PER_WINDOW, np.full(6, -20.0))
    assert np.array_equal(steady, slots)


def test_a_family_scores_its_highest_member():
    probs = np.array([[0.1, 0.5, 0.2], [0.3, 0.0, 0.1]], np.float32)
    out = _family_scores(probs, [np.array([0, 1, 2]), np.array([2])])
    assert out.tolist() == [[pytest.approx(0.5), pytest.approx(0.2)], [pytest.approx(0.3), pytest.approx(0.1)]]
