"""Timeline -> media ranges -> markers against the Resolve stand-in, without a daemon: frame offsets at
integer and NTSC rates, skip reasons, marker collisions, re-runs and the palette."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from avevents.plugins.markers.palette import DEFAULT_PALETTE, PaletteError, color_for, load_palette
from avevents.plugins.markers.rates import frames_to_timecode, parse_rate, timecode_to_frames
from avevents.plugins.resolve.app import DetectSettings, ResolveUnavailable, clear_markers, detect_events
from avevents.plugins.resolve.link import LinkError
from avevents.plugins.resolve.markers import apply_markers, build_markers
from avevents.plugins.resolve.scope import ScopeError, ScopeOptions, plan_timeline

from .fake_resolve import LegacyTimelineItem, MediaPoolItem, Resolve, Timeline, TimelineItem


def always(path):
    return True


class CannedLink:
    """Answers each request with events given in media seconds (stands in for the worker in unit tests;
    the end-to-end tests use the real worker and daemon)."""

    def __init__(self, events_by_path: dict[str, list[dict]], fail: set[str] = frozenset(), cancel=False):
        self.events_by_path, self.fail, self.cancelled = events_by_path, fail, cancel
        self.requests: list[dict] = []

    def detect(self, requests, options, on_progress=None):
        if self.cancelled:
            raise LinkError("Cancelled", "cancelled")
        self.requests = requests
        out = {}
        for i, r in enumerate(requests):
            if r["path"] in self.fail:
                out[i] = {"error": {"kind": "MediaUnreadable", "message": f"{r['path']}: truncated"}}
            else:
                evs = [
                    e
                    for e in self.events_by_path.get(r["path"], [])
                    if e["end_seconds"] >= r["start"] and e["start_seconds"] < r["end"]
                ]
                out[i] = {"events": evs, "warnings": []}
        return out


def event(label, start, end, eid="e", confidence=0.9, **extra):
    return {
        "id": eid,
        "label": label,
        "start_seconds": start,
        "end_seconds": end,
        "confidence": confidence,
        "model": "m 1",
        **extra,
    }


def test_rates_and_timecode():
    assert parse_rate("23.976") == Fraction(24000, 1001) and parse_rate("29.97 NDF") == Fraction(30000, 1001)
    assert parse_rate("24") == 24 and parse_rate(59.94005994) == Fraction(60000, 1001) and parse_rate("25.0") == 25
    for rate, df in ((Fraction(30000, 1001), True), (Fraction(24000, 1001), False), (Fraction(60000, 1001), True)):
        for frames in (0, 1799, 1800, 17982, 107892, 215999):
            assert timecode_to_frames(frames_to_timecode(frames, rate, df), rate) == frames
    assert frames_to_timecode(107892, Fraction(30000, 1001), True) == "01:00:00;00"
    assert frames_to_timecode(86400, Fraction(24000, 1001)) == "01:00:00:00"


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(24000, 1001), Fraction(30000, 1001)])
def test_trimmed_items_map_to_media_seconds_exactly(rate):
    tl = Timeline("T", rate)
    start = tl.GetStartFrame()
    assert start == 3600 * round(rate)  # 01:00:00:00
    media = MediaPoolItem("/m/a.mov", rate)
    tl.place("video", 1, TimelineItem("a", media, start + 48, 120, source_offset=30, clip_rate=rate))
    tl.place("audio", 1, TimelineItem("a", media, start + 48, 120, source_offset=30, clip_rate=rate))
    plan = plan_timeline(tl, ScopeOptions(), always)
    assert [(p.track, p.record_start, p.record_end) for p in plan.placements] == [("V1", 48, 168), ("A1", 48, 168)]
    assert plan.placements[0].source_start == pytest.approx(30 / rate)
    assert len(plan.requests) == 1  # video and its linked audio: one analysis
    # A cut at source frame 100 -> record frame 48 + (100 - 30) = 118, at every rate.
    markers = build_markers(plan, {0: [event("Scene cut", 100 / float(rate), 100 / float(rate))]}, DEFAULT_PALETTE)
    assert [(m.frame, m.duration, m.color) for m in markers] == [(118, 1, "Red")]


def test_legacy_items_use_the_left_offset_and_mixed_rates_go_through_seconds():
    tl = Timeline("T", Fraction(24))
    clip = MediaPoolItem("/m/b.mov", Fraction(25))
    item = LegacyTimelineItem("b", clip, tl.GetStartFrame(), 240, source_offset=50, clip_rate=Fraction(25))
    tl.place("video", 1, item)
    p = plan_timeline(tl, ScopeOptions(), always).placements[0]
    assert p.source_start == pytest.approx(2.0) and p.source_end == pytest.approx(12.0)  # 50 / 25; 240 / 24


def test_items_that_cannot_be_mapped_are_skipped_with_reasons():
    tl = Timeline("T", Fraction(24))
    s = tl.GetStartFrame()
    tl.place("video", 1, TimelineItem("title", None, s, 24))
    tl.place("video", 1, TimelineItem("nest", MediaPoolItem("", None, "Compound"), s + 24, 24))
    tl.place("video", 1, TimelineItem("gone", MediaPoolItem("/m/missing.mov", Fraction(24)), s + 48, 24))
    tl.place("video", 1, TimelineItem("off", MediaPoolItem("/m/ok.mov", Fraction(24)), s + 72, 24, enabled=False))
    tl.place("video", 1, TimelineItem("fast", MediaPoolItem("/m/ok.mov", Fraction(24)), s + 96, 24, speed=2.0))
    tl.place("video", 1, TimelineItem("fine", MediaPoolItem("/m/ok.mov", Fraction(24)), s + 120, 24))
    plan = plan_timeline(tl, ScopeOptions(), lambda path: path == "/m/ok.mov")
    reasons = {x.name: x.reason for x in plan.skipped}
    assert "no media file" in reasons["title"] and "Compound" in reasons["nest"]
    assert "offline: /m/missing.mov" in reasons["gone"] and reasons["off"] == "disabled clip"
    assert "speed" in reasons["fast"]
    assert [p.name for p in plan.placements] == ["fine"]


def test_scopes_in_out_and_playhead():
    tl = Timeline("T", Fraction(24000, 1001))
    s = tl.GetStartFrame()
    a = MediaPoolItem("/m/a.mov", Fraction(24000, 1001))
    tl.place("video", 1, TimelineItem("a1", a, s, 100))
    tl.place("video", 1, TimelineItem("a2", a, s + 100, 100, source_offset=500))
    with pytest.raises(ScopeError, match="no in/out range"):
        plan_timeline(tl, ScopeOptions("inout"), always)
    tl.SetMarkInOut(50, 149)
    plan = plan_timeline(tl, ScopeOptions("inout"), always)
    assert plan.frame_range == (50, 150)
    assert [(p.record_start, p.record_end) for p in plan.placements] == [(50, 100), (100, 150)]
    assert plan.placements[1].source_start == pytest.approx(500 * 1001 / 24000)
    assert len(plan.requests) == 2  # far apart in the file
    tl.playhead = s + 120
    plan = plan_timeline(tl, ScopeOptions("playhead"), always)
    assert [p.name for p in plan.placements] == ["a2"] and plan.frame_range == (100, 200)
    tl.playhead = s + 5000
    with pytest.raises(ScopeError, match="playhead"):
        plan_timeline(tl, ScopeOptions("playhead"), always)


def test_rerun_replaces_own_markers_and_respects_the_users(tmp_path):
    media = tmp_path / "a.mov"
    media.write_bytes(b"x")
    tl = Timeline("T", Fraction(24))
    s = tl.GetStartFrame()
    tl.place("video", 1, TimelineItem("a", MediaPoolItem(str(media), Fraction(24)), s, 240))
    tl.AddMarker(24, "Blue", "user note", "mine", 1, "")  # on the first frame of the speech below
    tl.AddMarker(120, "Green", "user cut", "mine", 1, "")  # on the cut
    resolve = Resolve(tl)
    evs = [event("Speech", 1.0, 3.0, "s1"), event("Scene cut", 5.0, 5.0, "c1"), event("Music", 6.0, 8.0, "m1")]
    summary = detect_events(resolve, DetectSettings(), CannedLink({str(media): evs}), DEFAULT_PALETTE)
    own = {f: m for f, m in tl.markers.items() if m["customData"].startswith("avevents|")}
    assert sorted((f, m["name"], m["duration"]) for f, m in own.items()) == [(25, "Speech", 47), (144, "Music", 48)]
    assert summary.added == 2 and len(summary.nudged) == 1 and "01:00:01:00" in summary.nudged[0]
    assert len(summary.skipped_markers) == 1 and "user cut" in summary.skipped_markers[0]
    assert tl.markers[24]["name"] == "user note" and tl.markers[120]["name"] == "user cut"
    assert "confidence 0.90" in own[25]["note"] and "a.mov 1.00-3.00 s" in own[25]["note"]
    # Re-run with other results: avevents' markers are replaced, the user's untouched.
    summary = detect_events(resolve, DetectSettings(), CannedLink({str(media): [evs[2]]}), DEFAULT_PALETTE)
    assert summary.removed == 2 and summary.added == 1
    assert sorted(tl.markers) == [24, 120, 144]
    assert clear_markers(resolve, ScopeOptions()) == 1 and sorted(tl.markers) == [24, 120]


def test_failures_and_cancel_leave_the_timeline_as_it_was(tmp_path):
    good, bad = tmp_path / "good.mov", tmp_path / "bad.mov"
    for f in (good, bad):
        f.write_bytes(b"x")
    tl = Timeline("T", Fraction(25))
    s = tl.GetStartFrame()
    tl.place("video", 1, TimelineItem("g", MediaPoolItem(str(good), Fraction(25)), s, 250))
    tl.place("video", 1, TimelineItem("b", MediaPoolItem(str(bad), Fraction(25)), s + 250, 250))
    resolve = Resolve(tl)
    both = {str(good): [event("Music", 1, 2, "g1")], str(bad): [event("Music", 1, 2, "b1")]}
    detect_events(resolve, DetectSettings(), CannedLink(both), DEFAULT_PALETTE)
    assert sorted(tl.markers) == [25, 275]
    before = tl.GetMarkers()
    summary = detect_events(resolve, DetectSettings(), CannedLink(both, cancel=True), DEFAULT_PALETTE)
    assert summary.cancelled and tl.GetMarkers() == before and "not changed" in summary.lines()[0]
    summary = detect_events(resolve, DetectSettings(), CannedLink({str(good): []}, fail={str(bad)}), DEFAULT_PALETTE)
    assert summary.failed_media == [f"{bad}: {bad}: truncated"]
    assert sorted(tl.markers) == [275]  # the good file's marker replaced (by none), the failed file's kept


def test_without_resolve_or_project_the_message_says_why():
    with pytest.raises(ResolveUnavailable, match="Studio"):
        detect_events(None, DetectSettings(), CannedLink({}), DEFAULT_PALETTE)
    with pytest.raises(ResolveUnavailable, match="no project"):
        detect_events(Resolve(Timeline("T", Fraction(24)), open_project=False), DetectSettings(), None, {})
    with pytest.raises(ResolveUnavailable, match="no current timeline"):
        detect_events(Resolve(None), DetectSettings(), None, {})


def test_palette_is_user_editable_and_checked(tmp_path):
    path = tmp_path / "palette.json"
    path.write_text(json.dumps({"Laughter": "lemon", "Dog": "Sky"}))
    palette = load_palette(path)
    assert palette["Laughter"] == "Lemon" and palette["Speech"] == "Blue"
    assert color_for("laughter", palette) == "Lemon" and color_for("Ukulele", palette) == color_for("Ukulele", {})
    path.write_text(json.dumps({"Dog": "Brown"}))
    with pytest.raises(PaletteError, match="not a Resolve marker colour"):
        load_palette(path)
    assert load_palette(tmp_path / "none.json") == DEFAULT_PALETTE


def test_apply_reports_positions_and_frames_beyond_the_range_are_nudged_within_the_event():
    tl = Timeline("T", Fraction(24))
    tl.place("video", 1, TimelineItem("a", MediaPoolItem("/m/a.mov", Fraction(24)), tl.GetStartFrame(), 100))
    for f in (10, 11, 12):
        tl.AddMarker(f, "Blue", "u", "", 1, "")
    plan = plan_timeline(tl, ScopeOptions(), always)
    plan.placements[0].request = 0
    markers = build_markers(plan, {0: [event("Speech", 10 / 24, 14 / 24)]}, DEFAULT_PALETTE)
    report = apply_markers(tl, markers, [(0, 100)])
    assert report.added == 1 and tl.markers[13]["duration"] == 1 and "moved 3 frame(s)" in report.nudged[0]
