"""Per-label operating points of the AudioSet tagger: the rule, the bundled table and its drift check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from avevents.core.results import DetectOptions, LabelOptions
from avevents.models import audioset_operating_points as points

from ..media_factory import shared_or_skip

ROOT = Path(__file__).resolve().parents[2]


def test_the_rule_clips_the_margin_over_the_highest_negative():
    assert points.threshold_for(0.0) == points.FLOOR  # never heard on material without it
    assert points.threshold_for(0.2) == pytest.approx(0.2 * points.MARGIN)
    assert points.threshold_for(0.9) == points.CAP  # present but unlabelled: still reachable


def test_labels_have_their_own_thresholds_and_shortest_events():
    speech, laughter, crowd = (points.operating_point(x) for x in ("Speech", "Laughter", "Crowd"))
    assert laughter.threshold < speech.threshold  # a clear laugh scores far below clear speech
    assert crowd.threshold <= points.CAP and laughter.threshold >= points.FLOOR
    for label in ("Knock", "Bark", "Clapping", "Cough", "Slam", "Gunshot, gunfire"):
        assert points.operating_point(label).min_event_seconds == points.SHORT_EVENT_SECONDS, label
    assert points.operating_point("Music").min_event_seconds == points.EVENT_SECONDS
    unknown = points.operating_point("a label the table lacks")
    assert unknown.threshold == points.FLOOR
    assert unknown.release_threshold == pytest.approx(points.FLOOR * points.RELEASE_RATIO)


def test_sensitivity_moves_every_label_from_its_own_point():
    for label in ("Speech", "Laughter", "Applause"):
        own = points.operating_point(label)
        more = DetectOptions(sensitivity=1.0).for_label(label, own)
        fewer = DetectOptions(sensitivity=0.0).for_label(label, own)
        assert more.threshold == pytest.approx(own.threshold / 2)
        assert fewer.threshold == pytest.approx(min(0.99, own.threshold * 2))
        # An explicit threshold is the user's: sensitivity leaves it.
        mine = DetectOptions(sensitivity=1.0, per_label={label: LabelOptions(threshold=0.42)})
        assert mine.for_label(label, own).threshold == 0.42


def test_the_bundled_table_matches_a_fresh_calibration_on_the_real_recordings():
    shared_or_skip("models", "efficientat-mn04-as", "mn04_as_mAP_432.pt")
    shared_or_skip("media", "real", "labelled_clips")
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "calibrate_audioset.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "0 of 527 labels differ" in run.stderr
