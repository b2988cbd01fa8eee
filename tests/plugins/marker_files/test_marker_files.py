"""Marker files read back to the frame: Resolve's marker EDL by our EDL reader, FCP7 XML and FCPXML by
OTIO's adapters and our readers, the Avid list, SRT and WebVTT by their own rules; drop-frame where it
applies, a start timecode, whole frames, one palette."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from avevents.core.errors import InvalidRequest
from avevents.core.results import DetectResult, Event, MediaInfo
from avevents.plugins.marker_files import KINDS, render
from avevents.plugins.marker_files.timing import marked_media
from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.markers.rates import timecode_to_frames
from avevents.plugins.premiere_bridge.edl import EdlDocument
from avevents.plugins.premiere_bridge.fcpxml import parse_time

NTSC = Fraction(30000, 1001)


def _result(rate=NTSC, has_video=True) -> DetectResult:
    media = MediaInfo(path="/media/interview take 1.mov", duration_seconds=700.0, has_video=has_video, has_audio=True,
                      frame_rate=rate if has_video else None, width=1920, height=1080, sample_rate=48000)  # fmt: skip
    events = [
        Event("Laughter", 10.0, 12.5, 0.81, "audioset", "mn04", audio_confidence=0.8, id="a"),
        Event("Scene cut", 60.06, 60.06, 0.95, "cuts", "builtin", id="b"),  # frame 1800 at 29.97: minute 1
        Event("Speech", 3.3, 3.9, 0.7, "speech", "silero", id="c"),
    ]
    return DetectResult(media, (0.0, 700.0), [], events, ["Laughter", "Scene cut", "Speech"], "builtin", [])


def _frames(result, rate=NTSC):
    return [round(Fraction(e.start_seconds).limit_denominator(10**9) * rate) for e in result.events]


def test_every_kind_is_declared_with_a_writer():
    marked = marked_media(_result(), DEFAULT_PALETTE)
    for kind in KINDS:
        assert render(kind, marked).strip(), kind


def test_resolve_marker_edl_reads_back_to_the_frame_in_drop_frame():
    result = _result()
    marked = marked_media(result, DEFAULT_PALETTE, start_tc="01:00:00;00")
    assert marked.drop_frame and marked.start_frame == timecode_to_frames("01:00:00;00", NTSC)
    text = render("resolve-edl", marked)
    assert text.startswith("TITLE: interview take 1.mov\nFCM: DROP FRAME\n\n")
    assert " |C:ResolveColorYellow |M:Laughter 0.81 |D:75\n" in text  # 2.5 s at 29.97 = 75 frames
    document = EdlDocument(text.encode(), "markers.edl", NTSC)  # our reader, as for any EDL
    starts = [c.record_in - marked.start_frame for c in document.clips]
    assert starts == _frames(result) and all(c.drop_frame for c in document.clips)
    assert "01:01:00;02 01:01:00;03" in text  # frame 1800: drop-frame timecode has no 01:01:00;00 or ;01


def test_fcp7_and_fcpxml_clips_read_back_through_otio_and_ours(tmp_path):
    result = _result(Fraction(25))
    marked = marked_media(result, DEFAULT_PALETTE, media_start_seconds=3600.0)
    fcp7 = tmp_path / "m.xml"
    fcp7.write_text(render("fcp7xml", marked))
    timeline = otio.adapters.read_from_file(str(fcp7), adapter_name="fcp_xml")
    clip = next(iter(timeline.find_clips()))
    assert sorted(round(m.marked_range.start_time.value) for m in clip.markers) == sorted(_frames(result, 25))
    fcpxml = render("fcpxml", marked)
    root = ET.fromstring(fcpxml)
    starts = [parse_time(m.get("start")) - 3600 for m in root.iter("marker")]
    assert [s * 25 for s in starts] == _frames(result, 25)  # in the clip's own time: start timecode + frame
    assert root.find(".//media-rep").get("src").startswith("file:///media/interview%20take%201.mov")
    otio_read = otio.adapters.read_from_string(fcpxml, adapter_name="fcpx_xml")  # a project: OTIO reads it
    markers = [m for c in otio_read.find_clips() for m in c.markers]
    assert sorted(round(m.marked_range.start_time.to_seconds() * 25) - 90000 for m in markers) == sorted(
        _frames(result, 25)
    )


def test_avid_list_and_subtitles():
    result = _result(Fraction(24000, 1001))
    marked = marked_media(result, DEFAULT_PALETTE, start_tc="00:59:00:00")
    rows = [line.split("\t") for line in render("avid", marked).splitlines()]
    assert [r[0] for r in rows] == ["avevents"] * 3 and [r[2] for r in rows] == ["V1"] * 3
    assert [r[3] for r in rows] == ["yellow", "red", "blue"]  # Laughter, Scene cut, Speech in the one palette
    assert [timecode_to_frames(r[1], marked.rate) - marked.start_frame for r in rows] == _frames(result, marked.rate)
    assert rows[0][5] == str(60) and rows[1][5] == "1"
    srt = render("srt", marked).split("\n\n")
    assert srt[0].splitlines()[1] == "00:00:10,010 --> 00:00:12,512"  # frames 240-300 at 23.976
    assert srt[1].splitlines()[1] == "00:01:00,060 --> 00:01:01,060"  # a point: one second (frame 1440)
    vtt = render("vtt", marked)
    assert vtt.startswith("WEBVTT\n\n00:00:10.010 --> 00:00:12.512\nLaughter 0.81 (audio 0.80)\n")


def test_rates_and_timecode_options():
    audio_only = marked_media(_result(has_video=False), DEFAULT_PALETTE)
    assert audio_only.rate == 25 and not audio_only.drop_frame  # no picture: 25 fps unless --rate says
    assert marked_media(_result(), DEFAULT_PALETTE, drop_frame=False).timecode(1800) == "00:01:00:00"
    assert marked_media(_result(), DEFAULT_PALETTE).timecode(1800) == "00:01:00;02"
    assert marked_media(_result(), DEFAULT_PALETTE, rate="23.976").rate == Fraction(24000, 1001)
    with pytest.raises(InvalidRequest, match="drop-frame"):
        marked_media(_result(Fraction(25)), DEFAULT_PALETTE, drop_frame=True)
    with pytest.raises(InvalidRequest, match="--start-tc"):
        marked_media(_result(), DEFAULT_PALETTE, start_tc="1 hour")
    for impossible, rate in (("01:00:00:30", 25), ("01:00:75:00", 25), ("01:01:00;00", NTSC)):
        with pytest.raises(InvalidRequest, match="--start-tc"):
            marked_media(_result(Fraction(rate)), DEFAULT_PALETTE, start_tc=impossible)
    assert marked_media(_result(), DEFAULT_PALETTE, start_tc="01:10:00;00").timecode(0) == "01:10:00;00"


def test_the_media_own_timecode_says_drop_frame_or_not():
    # 29.97 media whose timecode track is non-drop (00:59:50:00): its own labels, not drop-frame ones.
    ndf = marked_media(_result(), DEFAULT_PALETTE, media_start_seconds=float(107700 / NTSC), media_drop_frame=False)
    assert not ndf.drop_frame and ndf.timecode(0) == "00:59:50:00" and ndf.timecode(150) == "00:59:55:00"
    df = marked_media(_result(), DEFAULT_PALETTE, media_start_seconds=float(107892 / NTSC), media_drop_frame=True)
    assert df.drop_frame and df.timecode(0) == "01:00:00;00"
    plain = marked_media(_result(), DEFAULT_PALETTE, timeline_start="01:00:00:00")  # no timecode: 29.97 is DF
    assert plain.drop_frame and plain.timecode(0) == "01:00:00;00"
