"""FCPXML 1.8-1.11 edited in its own bytes: media through <media-rep> and asset src, compound, multicam,
sync and connected clips, NTSC rates in every spelling as exact rationals, libraries with several
projects; markers where the DTD puts them; the input back (canonical XML) without the bridge's markers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from avevents.core.errors import InvalidRequest
from avevents.daemon.batch import open_batch
from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers
from avevents.plugins.premiere_bridge.document import Placed, Skip
from avevents.plugins.premiere_bridge.fcpxml import AFTER_MARKERS, FcpxmlDocument, parse_time

from ... import media_factory

SHARED_FCPXML = media_factory.SHARED / "timelines" / "fcpxml"


def _shared(name: str | None = None):
    if not SHARED_FCPXML.is_dir():
        pytest.skip(f"shared material not found: {SHARED_FCPXML}")
    files = sorted(SHARED_FCPXML.glob("*.fcpxml"))
    return next(p for p in files if p.name == name) if name else files


def _own(marker) -> bool:
    return marker.get("value", "").endswith("(avevents)") or "[avevents " in marker.get("note", "")


def _canonical_without_own(data: bytes) -> str:
    root = ET.fromstring(data)
    for parent in root.iter():
        for marker in [m for m in parent.findall("marker") if _own(m)]:
            parent.remove(marker)
    return ET.canonicalize(ET.tostring(root), strip_text=True)


def _place(data: bytes, scope: str = "clips", project: str = "") -> tuple[FcpxmlDocument, bytes]:
    document = FcpxmlDocument(data, "t.fcpxml", project)
    done = []
    for _track, _name, piece in document.pieces():
        if not isinstance(piece, Skip):
            piece.path = "/nowhere/x.mov"
            middle = (piece.source_start + piece.source_end) / 2
            event = {"label": "Laughter", "start_seconds": middle, "end_seconds": middle + 0.5, "id": "l"}
            done.append(Placed(piece, [event]))
    document.place(done, scope, DEFAULT_PALETTE)
    return document, document.serialize()


@pytest.mark.parametrize("scope", ["clips", "timeline"])
def test_shared_exports_keep_everything_but_the_markers(scope):
    for path in _shared():
        data = path.read_bytes()
        _document, out = _place(data, scope)
        assert _canonical_without_own(out) == _canonical_without_own(data), path.name
        assert _place(out, scope)[1] == out, path.name  # a re-run replaces, never adds twice
        root = ET.fromstring(out)
        for holder in root.iter():
            tags = [c.tag for c in holder]
            for index, child in enumerate(holder):
                if child.tag == "marker" and _own(child):  # DTD order: nothing of the later group before it
                    assert holder.tag in AFTER_MARKERS, (path.name, holder.tag)  # an element that holds markers
                    assert not set(tags[:index]) & set(AFTER_MARKERS[holder.tag]), (path.name, holder.tag, tags)
                    if holder.tag == "mc-clip":
                        assert "mc-source" not in tags[index:], (path.name, tags)  # its sources come first


def test_media_rep_ntsc_spellings_and_connected_clips():
    path = _shared("kit_23.98.fcpxml")
    document = FcpxmlDocument(path.read_bytes(), path.name)
    pieces = [p for _t, _n, p in document.pieces()]
    media = [p for p in pieces if not isinstance(p, Skip)]
    assert media and all(p.candidates[0].startswith("file:///Users/user/Movies/TestVideo") for p in media)
    assert all(p.rate == Fraction(24000, 1001) for p in media)  # the sequence's 1001/24000s
    assert sum(isinstance(p, Skip) and "retimed" in p.reason for p in pieces) == 3
    # The first clip: asset-clip at offset 0, 760760/24000 s long, from the asset's start (0 s).
    first = media[0]
    assert (first.source_start, first.source_end) == (0.0, float(Fraction(760760, 24000)))
    # A connected clip, or a clip of a connected storyline (lane 1), holds its own markers in its own time.
    connected = [p for p in media if p.track == "lane 1"]
    assert connected and all(p.target.holder is p.target.leaf for p in connected)
    # The asset's format says 15015/360000s: the same exact rate.
    assert parse_time("15015/360000s") == Fraction(1001, 24000)


def test_compound_multicam_and_sync_clips_hold_their_markers():
    compound = FcpxmlDocument(_shared("kit_29.97d.fcpxml").read_bytes(), "cc")
    holders = {p.target.holder.tag for _t, _n, p in compound.pieces() if not isinstance(p, Skip)}
    assert "ref-clip" in holders  # what plays inside a compound clip is marked on the compound clip
    multicam = FcpxmlDocument(_shared("kit_MulticamMarkers.fcpxml").read_bytes(), "mc")
    pieces = [p for _t, _n, p in multicam.pieces()]
    assert [p.target.holder.tag for p in pieces] == ["mc-clip", "mc-clip"]
    assert [p.candidates[0].rsplit("/", 1)[-1] for p in pieces] == ["Cam%204.mp4", "Cam%202.mp4"]  # active angles
    # mc-clip 1 shows multicam time 19299280/1920000 s on; angle D starts its Cam 4 at 101101/24000 s.
    assert pieces[0].source_start == pytest.approx(float(Fraction(19299280, 1920000) - Fraction(101101, 24000)))
    sync = FcpxmlDocument(_shared("kit_SyncClip.fcpxml").read_bytes(), "sync")
    tags = [(p.target.holder.tag, p.track) for _t, _n, p in sync.pieces()]
    assert tags == [("sync-clip", "primary"), ("asset-clip", "lane -1")]


def test_libraries_with_several_projects_and_browser_clips():
    data = _shared("fcpx_library.fcpxml").read_bytes()
    every = FcpxmlDocument(data, "lib")
    assert len(every.projects) == 2 and len({t.split(" lane")[0] for t, _n, _p in every.pieces()}) >= 2
    one = FcpxmlDocument(data, "lib", project="OpenTimeline_Project")
    assert len(one.projects) == 1 and len(one.pieces()) == len(every.pieces()) // 2
    with pytest.raises(InvalidRequest, match=r"no project named 'nope'.*OpenTimeline_Project"):
        FcpxmlDocument(data, "lib", project="nope")
    clips = FcpxmlDocument(_shared("fcpx_clips.fcpxml").read_bytes(), "clips")
    assert not clips.projects and clips.pieces()  # clips from the browser, each in its own time


def test_fcpx_project_end_to_end_with_relinked_media(tmp_path):
    """fcpx_project.fcpxml relinked to media made with cuts at known frames: the real analysis marks each
    asset-clip's cuts at their media time (asset-clip local time is the asset's)."""
    path = _shared("fcpx_project.fcpxml")
    document = FcpxmlDocument(path.read_bytes(), path.name)
    lengths: dict[str, float] = {}
    for _t, _n, piece in document.pieces():
        if not isinstance(piece, Skip):
            name = piece.candidates[0].rsplit("/", 1)[-1]
            lengths[name] = max(lengths.get(name, 0.0), piece.source_end)
    media = tmp_path / "media"
    media.mkdir()
    cuts = {}
    for name, seconds in lengths.items():
        clip = media_factory.write_cut_clip(media / name, Fraction(30), (96, 54), seconds + 1, flash=False, fade=False)
        cuts[name] = clip.cuts
    out = tmp_path / "marked.fcpxml"
    batch = open_batch("in-process")
    try:
        report = add_event_markers(path, out, options=BridgeOptions(labels=("Scene cut",), search_paths=[media]),
                                   batch=batch)  # fmt: skip
    finally:
        batch.close()
    assert report.added > 0 and not [c for c in report.clips if c.status == "failed"]
    assert _canonical_without_own(out.read_bytes()) == _canonical_without_own(path.read_bytes())
    root = ET.fromstring(out.read_bytes())
    assets = {a.get("id"): a for a in root.iter("asset")}
    checked = 0
    for clip in [c for project in root.iter("project") for c in project.iter("asset-clip")]:
        asset = assets[clip.get("ref")]
        name = asset.get("src").rsplit("/", 1)[-1]
        start = parse_time(clip.get("start")) if clip.get("start") else Fraction(0)
        shown = (start, start + parse_time(clip.get("duration")))
        got = [parse_time(m.get("start")) - parse_time(asset.get("start")) for m in clip.findall("marker") if _own(m)]
        want = [c for c in cuts[name] if shown[0] <= c < shown[1]]
        assert len(got) == len(want) and all(abs(float(g) - w) <= 1 / 30 + 1e-9 for g, w in zip(got, want, strict=True))
        checked += 1
    assert checked
