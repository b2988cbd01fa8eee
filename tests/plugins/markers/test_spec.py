"""One marker description for both editors: the same event makes the same name, note and colour in a
Resolve marker and an OTIO marker, and each format's ownership tag is recognised (and survives a write
and read of that format)."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest

from avevents.plugins.markers.palette import DEFAULT_PALETTE, OTIO_COLORS
from avevents.plugins.markers.spec import (
    NAME_SUFFIX,
    event_span,
    marker_spec,
    owns_comment,
    owns_custom_data,
    owns_metadata,
    owns_name,
)
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, annotate
from avevents.plugins.premiere_bridge.formats import FORMATS, read_timeline, write_timeline
from avevents.plugins.premiere_bridge.markers import comment_of, is_own, make_marker
from avevents.plugins.premiere_bridge.otio_document import OtioDocument
from avevents.plugins.resolve.markers import add_marker_args, apply_markers, build_markers, remove_own
from avevents.plugins.resolve.scope import Placement, Plan

from ..resolve.fake_resolve import MediaPoolItem, Timeline, TimelineItem

EVENT = {
    "id": "ev7",
    "label": "Laughter",
    "start_seconds": 2.0,
    "end_seconds": 3.0,
    "confidence": 0.9,
    "audio_confidence": 0.8,
    "video_confidence": 0.4,
    "model": "m 1",
}


class OneAnswer:
    """Stands in for the daemon batch: every request gets ``events``."""

    def __init__(self, events):
        self.events = events

    def detect(self, requests, options, on_progress=None):
        return {i: {"events": self.events, "warnings": []} for i in range(len(requests))}


def _rt(frames, rate=25.0):
    return otio.opentime.RationalTime(frames, rate)


def _otio_timeline(media) -> otio.schema.Timeline:
    """One 10 s clip of ``media`` at 25 fps, its first second trimmed off."""
    ref = otio.schema.ExternalReference(
        target_url=otio.url_utils.url_from_filepath(str(media)),
        available_range=otio.opentime.TimeRange(_rt(0), _rt(250)),
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(otio.schema.Clip("shots", ref, otio.opentime.TimeRange(_rt(25), _rt(200))))
    tl = otio.schema.Timeline(name="Edit", global_start_time=_rt(90000))
    tl.tracks.append(track)
    return tl


def test_one_event_is_the_same_marker_in_resolve_and_otio(tmp_path):
    media = tmp_path / "shots.mov"
    media.write_bytes(b"x")
    # Resolve: the file's seconds 1..9 on timeline frames 0..200 at 25 fps.
    plan = Plan("Edit", Fraction(25), 90000, (0, 200), [Placement("V1", "shots", str(media), 0, 200, 1.0, 9.0, 0)])
    (resolve_spec,) = build_markers(plan, {0: [EVENT]}, DEFAULT_PALETTE)
    frame, color, name, note, duration, custom = add_marker_args(resolve_spec)
    assert (frame, duration, custom) == (25, 25, "avevents|ev7|25")  # 2 s - 1 s at 25 fps; one second long
    # OTIO: the same file in a clip; the marker sits in the clip's media time.
    tl = _otio_timeline(media)
    annotate(OtioDocument(tl, FORMATS["otio"]), OneAnswer([EVENT]), BridgeOptions(), DEFAULT_PALETTE)
    (marker,) = tl.find_clips()[0].markers
    assert marker.marked_range == otio.opentime.TimeRange(_rt(50), _rt(25))
    assert marker.name == name == "Laughter"
    assert marker.comment == note + " [avevents ev7]"
    assert note == "confidence 0.90 · audio 0.80 / video 0.40 · m 1 · shots.mov 2.00-3.00 s"
    assert color == "Yellow" and marker.color == OTIO_COLORS[color] == "YELLOW"
    assert dict(marker.metadata["avevents"]) == EVENT


def test_events_outside_a_piece_make_no_marker_and_point_events_one_frame():
    assert event_span({"start_seconds": 5, "end_seconds": 9}, 0.0, 4.0) is None
    assert event_span({"start_seconds": 4, "end_seconds": 4}, 0.0, 4.0) is None  # a point at the end is outside
    assert event_span({"start_seconds": 3, "end_seconds": 9}, 0.0, 4.0) == (3.0, 4.0)
    assert event_span({"start_seconds": 2, "end_seconds": 1}, 0.0, 4.0) == (2.0, 2.0)  # never ends before it starts
    plan = Plan("T", Fraction(24), 0, (0, 96), [Placement("V1", "a", "/m/a.mov", 0, 96, 0.0, 4.0, 0)])
    point = {**EVENT, "start_seconds": 1.0, "end_seconds": 1.0}
    assert [(m.frame, m.duration) for m in build_markers(plan, {0: [point]}, DEFAULT_PALETTE)] == [(24, 1)]


def test_resolve_tag_recognition_and_nudging_keeps_the_tag_honest():
    assert owns_custom_data("avevents|ev7|25") and owns_custom_data("avevents||0")
    assert not any(owns_custom_data(x) for x in ("", None, 12, "user|avevents|1", "avevents"))
    spec = marker_spec(EVENT, 10, 5, Fraction(24), DEFAULT_PALETTE, "a.mov")
    assert spec.custom_data() == "avevents|ev7|10" and add_marker_args(spec, 2)[::4] == (12, 3)
    assert add_marker_args(spec, 2)[5] == "avevents|ev7|12"  # the tag names the frame it is on
    tl = Timeline("T", Fraction(24))
    tl.place("video", 1, TimelineItem("a", MediaPoolItem("/m/a.mov", Fraction(24)), tl.GetStartFrame(), 240))
    assert tl.AddMarker(10, "Blue", "mine", "", 1, "")
    report = apply_markers(tl, [spec], [(0, 100)])
    assert report.added == 1 and tl.markers[11]["customData"] == "avevents|ev7|11"
    assert remove_own(tl, [(0, 100)]) == 1 and list(tl.markers) == [10]  # the user's stays


def test_otio_tags_each_alone_are_recognised():
    assert owns_metadata({"avevents": {}}) and not owns_metadata({"fcp_xml": {}})
    assert owns_comment("confidence 0.90 · a.mov [avevents ev7]") and not owns_comment("avevents was here")
    assert owns_name("Laughter" + NAME_SUFFIX) and owns_name("LAUGHTER (AVEVENTS)") and not owns_name("avevents")
    by_comment = otio.schema.Marker("x", metadata={"fcp_xml": {"comment": "note [avevents 1]"}})
    assert is_own(otio.schema.Marker("x", metadata={"avevents": {}})) and is_own(by_comment)
    assert is_own(otio.schema.Marker("Laughter (avevents)")) and not is_own(otio.schema.Marker("Laughter"))


@pytest.mark.parametrize(
    ("fmt", "kept"), [("otio", "metadata"), ("fcp7xml", "comment"), ("fcpxml", "name"), ("edl", "name")]
)
def test_each_formats_tag_survives_its_write_and_read(fmt, kept, tmp_path):
    media = tmp_path / "shots.mov"
    media.write_bytes(b"x")
    tl = _otio_timeline(media)
    clip = tl.find_clips()[0]
    spec = marker_spec(EVENT, 50, 25, 25.0, DEFAULT_PALETTE, "shots.mov")
    clip.markers.append(make_marker(spec, FORMATS[fmt]))
    clip.markers.append(otio.schema.Marker("my note", otio.opentime.TimeRange(_rt(100), _rt(0))))
    path = tmp_path / f"t{FORMATS[fmt].suffixes[0]}"
    write_timeline(tl, path, FORMATS[fmt])
    back = [m for c in read_timeline(path, FORMATS[fmt], 25.0).find_clips() for m in c.markers]
    own = [m for m in back if is_own(m)]
    assert len(own) == 1 and round(own[0].marked_range.start_time.value) == 50, [m.name for m in back]
    tags = {
        "metadata": owns_metadata(own[0].metadata),
        "comment": owns_comment(comment_of(own[0])),
        "name": owns_name(own[0].name),
    }
    assert tags[kept], tags  # the tag this format is meant to keep is the one that came back
    assert any(not is_own(m) for m in back)  # the user's marker is not taken for one of ours
