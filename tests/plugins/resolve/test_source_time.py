"""Each measured fact about Resolve's source-position calls, against the stand-in of every version it
differs in (18.5, 19.0, 19.1, 21.0, 21.1): timeline-frame left offsets, the off-by-one items, 0/0 on
XML-imported timelines, exclusive / inclusive end frames, calls a version lacks answering None, speed."""

from __future__ import annotations

from fractions import Fraction

import pytest

from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.resolve.api_version import parse_version
from avevents.plugins.resolve.markers import build_markers
from avevents.plugins.resolve.scope import ScopeError, ScopeOptions, plan_timeline
from avevents.plugins.resolve.source_time import OFF_BY_ONE_NOTE

from .fake_resolve import MediaPoolItem, Resolve, Timeline, TimelineItem

VERSIONS = [(18, 5, 0), (19, 0, 0), (19, 1, 3), (21, 0, 4), (21, 1, 0)]


def always(_path):
    return True


def _plan(tl, scope="timeline"):
    version = parse_version(Resolve(tl).GetVersion())
    return plan_timeline(tl, ScopeOptions(scope), always, version)


def _one(version, clip_rate, timeline_rate, **item):
    tl = Timeline("T", Fraction(timeline_rate), version=version)
    media = MediaPoolItem("/m/a.mov", Fraction(clip_rate))
    tl.place("video", 1, TimelineItem("a", media, tl.GetStartFrame() + 10, item.pop("duration", 100), **item))
    return _plan(tl)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("clip_rate", "timeline_rate"), [(25, 25), (50, 25), (24000 / 1001, 24000 / 1001)])
def test_the_source_start_is_right_in_every_version(version, clip_rate, timeline_rate):
    clip, rate = Fraction(clip_rate).limit_denominator(1001), Fraction(timeline_rate).limit_denominator(1001)
    plan = _one(version, clip, rate, source_offset=100)
    (p,) = plan.placements
    assert p.source_start == pytest.approx(float(100 / clip)) and not p.note  # 100 clip frames in


def test_the_left_offset_counts_timeline_frames():
    # A 50p clip on a 25p timeline in Resolve 18.5 (no source frame calls): 100 clip frames trimmed is a
    # left offset of 50 timeline frames, 2.0 s (dividing by the clip's rate gave 1.0 s).
    (p,) = _one((18, 5, 0), 50, 25, source_offset=100).placements
    assert p.source_start == pytest.approx(2.0)


def test_source_frames_one_off_the_left_offset_are_said_on_the_markers():
    (p,) = _one((19, 1, 3), 50, 25, source_offset=100, quirk="off_by_one").placements
    assert abs(p.source_start - 2.0) <= 1 / 50 + 1e-9 and p.note == OFF_BY_ONE_NOTE  # within a frame, and said
    plan = _one((19, 1, 3), 50, 25, source_offset=100, quirk="off_by_one")
    plan.placements[0].request = 0
    (marker,) = build_markers(plan, {0: [{"label": "Scene cut", "start_seconds": 2.5, "end_seconds": 2.5,
                                          "confidence": 0.9, "id": "c"}]}, DEFAULT_PALETTE)  # fmt: skip
    assert marker.note.endswith(OFF_BY_ONE_NOTE)


def test_timelines_imported_from_premiere_xml_fall_back_to_the_left_offset():
    # Both source frame calls answer 0/0: not a speed change (every clip was skipped as one before).
    (p,) = _one((19, 1, 3), 24, 24, source_offset=48, quirk="xml_import").placements
    assert p.source_start == pytest.approx(2.0) and not p.note


@pytest.mark.parametrize(("clip_rate", "timeline_rate"), [(24, 24), (120, 24), (60000 / 1001, 30000 / 1001)])
def test_end_frames_exclusive_at_matching_rates_inclusive_otherwise_never_look_retimed(clip_rate, timeline_rate):
    clip, rate = Fraction(clip_rate).limit_denominator(1001), Fraction(timeline_rate).limit_denominator(1001)
    for duration in range(1, 501):
        plan = _one((21, 0, 4), clip, rate, source_offset=7, duration=duration)
        assert plan.placements and not plan.skipped, (duration, plan.skipped)
        assert plan.placements[0].source_start == pytest.approx(float(7 / clip))


def test_calls_a_version_lacks_answer_none_and_are_not_trusted():
    # 18.0: GetClipEnabled answers None (the attribute exists): the clip is not "disabled".
    (p,) = _one((18, 0, 0), 24, 24, source_offset=24).placements
    assert p.source_start == pytest.approx(1.0)
    tl = Timeline("T", Fraction(24), version=(19, 0, 0))
    tl.place("video", 1, TimelineItem("a", MediaPoolItem("/m/a.mov", Fraction(24)), tl.GetStartFrame(), 100))
    tl.SetMarkInOut(10, 20)
    with pytest.raises(ScopeError, match=r"needs Resolve 19\.1"):  # GetMarkInOut answers None before 19.1
        _plan(tl, "inout")
    tl.version = (19, 1, 3)
    assert _plan(tl, "inout").frame_range == (10, 21)


def test_speed_from_get_speed_where_present_else_from_the_lengths():
    fast = _one((21, 1, 0), 24, 24, source_offset=24, speed=2.0)
    assert not fast.placements and "speed 200 %" in fast.skipped[0].reason
    older = _one((21, 0, 4), 24, 24, source_offset=24, speed=2.0)  # no GetSpeed: the lengths disagree
    assert not older.placements and "speed change" in older.skipped[0].reason
    assert _one((21, 1, 0), 24, 24, source_offset=24, speed=1.0).placements
