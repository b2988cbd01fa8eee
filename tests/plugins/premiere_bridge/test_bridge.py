"""The OTIO bridge on real timelines in every format, against a live daemon: markers to the frame (cuts
are frame-exact), clips that share media analysed once, re-runs replacing only the bridge's markers,
and round-trip safety (everything else unchanged after the bridge's read/write, compared structurally
with the adapter's own round trip)."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from avevents.cli.main import main as cli
from avevents.core.errors import InvalidRequest
from avevents.daemon.batch import DaemonBatch
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers
from avevents.plugins.premiere_bridge.formats import FORMATS, TimelineUnreadable, read_timeline, write_timeline
from avevents.plugins.premiere_bridge.markers import is_own

from ... import media_factory
from ...conftest import start_daemon

RATES = {"23.976": Fraction(24000, 1001), "25": Fraction(25)}
SHARED = media_factory.SHARED


@pytest.fixture(scope="module")
def daemon_env():
    daemon = start_daemon()
    old = {k: os.environ.get(k) for k in ("AVEVENTS_RUNTIME_DIR", "AVEVENTS_CONFIG_DIR")}
    os.environ.update({k: daemon.env[k] for k in old})
    yield daemon
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    daemon.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bridge-media")
    clips = {
        name: media_factory.write_cut_clip(folder / f"shots_{name}.mov", rate, seconds=8)
        for name, rate in RATES.items()
    }
    return folder, clips


def _rt(frames, rate):
    return otio.opentime.RationalTime(frames, float(rate))


def _range(start, duration, rate):
    return otio.opentime.TimeRange(_rt(start, rate), _rt(duration, rate))


def build_timeline(clip, rate: Fraction, two_tracks: bool = True) -> tuple[otio.schema.Timeline, dict]:
    """V1: the shots clip trimmed (30 frames off the head, 10 off the tail), a 12-frame gap, the same
    clip again around its second cut; A1: its audio, trimmed like the first use. Expected cut frames
    per clip (media frames) and on the timeline come back too."""
    total = round(clip.duration * rate)
    cuts = [round(t * rate) for t in clip.cuts]
    url = otio.url_utils.url_from_filepath(str(clip.path))

    def ref():
        return otio.schema.ExternalReference(target_url=url, available_range=_range(0, total, rate))

    tl = otio.schema.Timeline(name=f"Edit {float(rate):.3f}", global_start_time=_rt(3600 * round(rate), rate))
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    first = otio.schema.Clip("shots", ref(), _range(30, total - 40, rate))
    again = otio.schema.Clip("shots again", ref(), _range(cuts[1] - 20, 40, rate))
    video.extend([first, otio.schema.Gap(source_range=_range(0, 12, rate)), again])
    tl.tracks.append(video)
    if two_tracks:
        audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        audio.append(otio.schema.Clip("shots", ref(), _range(30, total - 40, rate)))
        tl.tracks.append(audio)
    in_first = [f for f in cuts if 30 <= f < total - 10]
    expected = {
        "clip": {"shots": in_first, "shots again": [cuts[1]]},
        # An EDL's LOC lines hold record timecode: timeline frames of each clip.
        "record": {"shots": [f - 30 for f in in_first], "shots again": [(total - 40) + 12 + 20]},
        "timeline": sorted({f - 30 for f in in_first} | {(total - 40) + 12 + 20}),
    }
    return tl, expected


def _own_markers(tl):
    out = []
    for clip in tl.find_clips():
        out += [(clip.name, round(m.marked_range.start_time.value), m.name) for m in clip.markers if is_own(m)]
    return sorted(out)


def _without_own(tl):
    copy = tl.deepcopy()
    for item in [copy.tracks, *copy.find_clips(), *copy.tracks]:
        for m in [m for m in item.markers if is_own(m)]:
            item.markers.remove(m)
    return json.loads(copy.to_json_string())


CASES = [(f, r) for f in ("otio", "fcp7xml", "edl") for r in RATES] + [("fcpxml", "25")]


@pytest.mark.parametrize(("fmt", "rate_name"), CASES)
def test_markers_to_the_frame_and_nothing_else_changes(fmt, rate_name, media, daemon_env, tmp_path):
    rate = RATES[rate_name]
    tl, expected = build_timeline(media[1][rate_name], rate, two_tracks=fmt != "edl")
    source = tmp_path / f"in{FORMATS[fmt].suffixes[0]}"
    edl_rate = float(rate) if fmt == "edl" else None
    write_timeline(tl, source, FORMATS[fmt])
    options = BridgeOptions(labels=("Scene cut",), rate=edl_rate)
    report = add_event_markers(source, options=options, batch=DaemonBatch())
    out = source.with_name(f"in.avevents{FORMATS[fmt].suffixes[0]}")
    assert report.output == out and out.is_file()
    assert report.requests == 1  # three clips, one file: analysed once
    result = read_timeline(out, FORMATS[fmt], edl_rate)
    got = _own_markers(result)
    want = sorted(
        (name, frame, "Scene cut" if FORMATS[fmt].keeps_comments else None)
        for name, frames in expected["record" if fmt == "edl" else "clip"].items()
        for frame in frames
        for _ in range(2 if name == "shots" and fmt != "edl" else 1)  # video and audio both hold it
    )
    if fmt == "fcpxml":
        # The FCPXML writer nests the audio clip in the video clip (a connected clip) and the adapter's
        # reader collects nested markers into the parent too: compare which frames hold markers.
        got, want = sorted(set(got)), sorted({(n, f, None) for n, f, _ in want})
    assert [(n, f) for n, f, _ in got] == [(n, f) for n, f, _ in want], (got, want)
    if fmt == "edl":
        assert all(name.startswith("Scene cut 0.") and name.endswith("(avevents)") for _, _, name in got)
    again = add_event_markers(out, out, options=options, batch=DaemonBatch())  # a re-run on its own output
    assert _own_markers(read_timeline(out, FORMATS[fmt], edl_rate)) == _own_markers(result)
    assert again.removed >= again.added > 0
    # Round-trip safety: with the bridge's markers taken away, the timeline equals the adapter's own
    # read/write of the input.
    baseline_path = tmp_path / f"baseline{FORMATS[fmt].suffixes[0]}"
    write_timeline(read_timeline(source, FORMATS[fmt], edl_rate), baseline_path, FORMATS[fmt])
    baseline = read_timeline(baseline_path, FORMATS[fmt], edl_rate)
    assert _without_own(result) == _without_own(baseline)


def test_timeline_scope_and_reruns_keep_the_users_markers(media, daemon_env, tmp_path):
    rate = RATES["23.976"]
    tl, expected = build_timeline(media[1]["23.976"], rate)
    tl.tracks.markers.append(
        otio.schema.Marker("my note", _range(5, 0, rate), metadata={"fcp_xml": {"comment": "mine"}})
    )
    source = tmp_path / "edit.xml"
    write_timeline(tl, source, FORMATS["fcp7xml"])
    out = tmp_path / "edit.marked.xml"
    first = add_event_markers(
        source, out, options=BridgeOptions(scope="timeline", labels=("Scene cut",)), batch=DaemonBatch()
    )
    marked = read_timeline(out, FORMATS["fcp7xml"])
    frames = sorted(round(m.marked_range.start_time.value) for m in marked.tracks.markers if is_own(m))
    assert frames == expected["timeline"] and first.added == len(frames)  # audio duplicates dropped
    xml = out.read_text()
    assert "<comment>confidence" in xml and "[avevents " in xml  # Premiere reads name, comment, in, out
    # Run again on its own output: the bridge's markers are replaced, the user's stays.
    again = add_event_markers(
        out, out, options=BridgeOptions(scope="timeline", labels=("Scene cut",)), batch=DaemonBatch()
    )
    assert again.removed == len(frames) and again.added == len(frames)
    final = read_timeline(out, FORMATS["fcp7xml"])
    names = sorted(m.name for m in final.tracks.markers)
    assert names == sorted(["my note"] + ["Scene cut"] * len(frames))


def test_missing_media_is_reported_per_clip_and_relinked_by_search_path(media, daemon_env, tmp_path):
    _, clips = media
    rate = RATES["25"]
    tl, _ = build_timeline(clips["25"], rate)
    moved = tmp_path / "moved" / "deeper"
    moved.mkdir(parents=True)
    (moved / clips["25"].path.name).write_bytes(clips["25"].path.read_bytes())
    for clip in tl.find_clips():  # as if exported on a Windows machine
        clip.media_reference.target_url = "file://localhost/D%3a/media/" + clips["25"].path.name
    source = tmp_path / "win.otio"
    write_timeline(tl, source, FORMATS["otio"])
    report = add_event_markers(source, options=BridgeOptions(labels=("Scene cut",)), batch=DaemonBatch())
    assert report.added == 0 and all(c.status == "failed" and "D:/media/" in c.detail for c in report.clips)
    assert "--search-path" in report.clips[0].detail
    report = add_event_markers(
        source, options=BridgeOptions(labels=("Scene cut",), search_paths=[tmp_path / "moved"]), batch=DaemonBatch()
    )
    assert report.added > 0 and all(c.status == "marked" for c in report.clips)


def test_premiere_export_round_trips_with_every_clip_reported(daemon_env, tmp_path, capsys):
    example = SHARED / "media" / "real" / "premiere_example.xml"
    if not example.is_file():
        pytest.skip(f"shared material not found: {example}")
    out = tmp_path / "premiere.avevents.xml"
    code = cli(["otio", str(example), "-o", str(out), "--labels", "Scene cut", "--daemon"])
    printed = capsys.readouterr().out
    assert code == 1 and "media not found: D:/media/" in printed  # media of another machine: said per clip
    assert not out.exists() and "nothing written" in printed  # no clip could be analysed: no copy of the input


def test_ntsc_fcpxml_is_marked_to_the_frame(media, daemon_env, tmp_path):
    """FCPXML at 23.976 (what Final Cut Pro writes: 1001/24000s) is read exactly, by our own reader."""
    import xml.etree.ElementTree as ET

    tl, expected = build_timeline(media[1]["23.976"], RATES["23.976"], two_tracks=False)
    source = tmp_path / "ntsc.fcpxml"
    write_timeline(tl, source, FORMATS["fcpxml"])
    assert 'frameDuration="1001/24000s"' in source.read_text()
    report = add_event_markers(source, options=BridgeOptions(labels=("Scene cut",)), batch=DaemonBatch())
    root = ET.parse(report.output).getroot()
    frame = Fraction(1001, 24000)
    got = {}
    for clip in [c for c in root.iter() if c.tag in ("clip", "asset-clip")]:
        for marker in clip.findall("marker"):
            if marker.get("value", "").endswith("(avevents)"):
                start = Fraction(marker.get("start")[:-1])
                assert (start / frame).denominator == 1  # on a frame
                got.setdefault(clip.get("name"), []).append(int(start / frame))
    assert got == expected["clip"]


def test_bad_input_is_clear_and_writes_nothing(tmp_path, daemon_env):
    bad = tmp_path / "broken.xml"
    bad.write_text("<xmeml><sequence>")
    with pytest.raises(TimelineUnreadable, match=r"broken\.xml: not well-formed XML"):
        add_event_markers(bad, batch=DaemonBatch())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xml"]
    with pytest.raises(InvalidRequest, match="--rate"):
        (tmp_path / "a.edl").write_text("TITLE: x\n")
        add_event_markers(tmp_path / "a.edl", batch=DaemonBatch())
    with pytest.raises(InvalidRequest, match="unknown timeline format"):
        (tmp_path / "a.txt").write_text("x")
        add_event_markers(tmp_path / "a.txt", batch=DaemonBatch())
    assert cli(["otio", str(tmp_path / "nope.otio"), "--daemon"]) == 2


def test_in_process_without_a_daemon(media, tmp_path, monkeypatch):
    monkeypatch.setenv("AVEVENTS_RUNTIME_DIR", str(tmp_path / "run"))
    tl, _ = build_timeline(media[1]["25"], RATES["25"], two_tracks=False)
    source = tmp_path / "t.otio"
    write_timeline(tl, source, FORMATS["otio"])
    assert cli(["otio", str(source), "--labels", "Scene cut"]) == 0
    result = read_timeline(tmp_path / "t.avevents.otio", FORMATS["otio"])
    marker = next(m for c in result.find_clips() for m in c.markers)
    assert marker.color == "RED" and marker.metadata["avevents"]["label"] == "Scene cut"
    assert marker.comment.startswith("confidence")


def test_paths_from_urls_and_relinking(tmp_path):
    from avevents.plugins.premiere_bridge.media import locate, path_from_reference

    assert path_from_reference("file://localhost/D%3a/media/a%20b.mov") == "D:/media/a b.mov"
    assert path_from_reference("file://server/share/a.mov") == "//server/share/a.mov"
    assert path_from_reference("/plain/path.mov") == "/plain/path.mov"
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "y" / "a b.mov").write_bytes(b"1")
    assert locate(r"\\server\share\a b.mov", [tmp_path]) == tmp_path / "x" / "y" / "a b.mov"
    assert locate("D:/media/a b.mov", [tmp_path / "none"]) is None
    assert locate(str(tmp_path / "x" / "y" / "a b.mov"), []) == Path(tmp_path / "x" / "y" / "a b.mov")
