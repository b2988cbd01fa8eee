"""Options: sensitivity moves the detectors' default thresholds, never the ones a user set."""

from __future__ import annotations

import pytest

from avevents.core.errors import InvalidRequest
from avevents.core.results import DetectOptions, LabelOptions
from avevents.daemon import convert

DETECTOR = LabelOptions(threshold=0.4, release_threshold=0.2, min_event_seconds=1.0, merge_gap_seconds=0.5)


def test_sensitivity_scales_default_thresholds_only():
    assert DetectOptions().for_label("Music", DETECTOR) == DETECTOR
    assert DetectOptions(sensitivity=0.5).for_label("Music", DETECTOR) == DETECTOR
    more = DetectOptions(sensitivity=1.0).for_label("Music", DETECTOR)
    fewer = DetectOptions(sensitivity=0.0).for_label("Music", DETECTOR)
    assert (more.threshold, more.release_threshold) == pytest.approx((0.2, 0.1))
    assert (fewer.threshold, fewer.release_threshold) == pytest.approx((0.8, 0.4))
    assert more.min_event_seconds == 1.0 and fewer.merge_gap_seconds == 0.5
    high = LabelOptions(threshold=0.7, release_threshold=0.6)
    assert DetectOptions(sensitivity=0.0).for_label("x", high).threshold == 0.99  # capped below 1
    explicit = DetectOptions(sensitivity=1.0, per_label={"Music": LabelOptions(threshold=0.5)})
    assert explicit.for_label("Music", DETECTOR).threshold == 0.5
    with pytest.raises(InvalidRequest, match="sensitivity"):
        DetectOptions(sensitivity=1.5).validate()


def test_sensitivity_travels_over_the_wire():
    request = convert.request_to_pb("/tmp/x.mov", DetectOptions(sensitivity=0.8))
    _, options = convert.request_from_pb(request)
    assert options.sensitivity == pytest.approx(0.8)
    assert convert.request_from_pb(convert.request_to_pb("/tmp/x.mov", DetectOptions()))[1].sensitivity is None
