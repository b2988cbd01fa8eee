"""FCP7 XML edited in its own bytes: every clipitem of real Premiere / Hiero exports read (shared files,
links, nested sequences, generators, time remaps), markers placed in the right clipitem or sequence,
and the input back byte for byte (and in canonical XML) once the bridge's markers are taken out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import numpy as np
import pytest

from avevents.daemon.batch import open_batch
from avevents.engine.media.writer import write_media
from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers
from avevents.plugins.premiere_bridge.document import Placed, Skip
from avevents.plugins.premiere_bridge.fcp7 import Fcp7Document

from ... import media_factory

SHARED_FCP7 = media_factory.SHARED / "timelines" / "fcp7"


def _canonical_without_own(data: bytes) -> str:
    """Canonical XML of ``data`` with every avevents marker removed (ElementTree, not the bridge's code)."""
    root = ET.fromstring(data)
    for parent in root.iter():
        for marker in parent.findall("marker"):
            comment, name = marker.findtext("comment") or "", marker.findtext("name") or ""
            if "[avevents " in comment or name.endswith("(avevents)"):
                parent.remove(marker)
    return ET.canonicalize(ET.tostring(root), strip_text=True)


def _events(piece):
    middle = (piece.source_start + piece.source_end) / 2
    last = piece.source_end - 1e-4  # inside the clip's last frame: must not round onto the frame after it
    return [
        {"label": "Laughter", "start_seconds": middle, "end_seconds": middle + 0.5, "confidence": 0.7, "id": "l"},
        {"label": "Scene cut", "start_seconds": middle, "end_seconds": middle, "confidence": 0.9, "id": "c"},
        {"label": "Scene cut", "start_seconds": last, "end_seconds": last, "confidence": 0.9, "id": "e"},
    ]


def _place(data: bytes, scope: str) -> tuple[Fcp7Document, bytes]:
    document = Fcp7Document(data, "t.xml")
    done = []
    for _track, _name, piece in document.pieces():
        if not isinstance(piece, Skip):
            piece.path = "/nowhere/" + piece.candidates[-1]
            done.append(Placed(piece, _events(piece)))
    document.place(done, scope, DEFAULT_PALETTE)
    return document, document.serialize()


def _shared():
    if not SHARED_FCP7.is_dir():
        pytest.skip(f"shared material not found: {SHARED_FCP7}")
    return [p for p in sorted(SHARED_FCP7.glob("*.xml")) if ET.parse(p).getroot().tag == "xmeml"]


@pytest.mark.parametrize("scope", ["clips", "timeline"])
def test_shared_exports_keep_every_byte_but_the_markers(scope):
    for path in _shared():
        data = path.read_bytes()
        _document, out = _place(data, scope)
        assert _canonical_without_own(out) == _canonical_without_own(data), path.name
        again = _place(out, scope)[1]
        assert again == out, path.name  # a re-run replaces its markers, never adds twice
        if scope == "clips":  # every marker inside its clipitem's in/out
            for clip in ET.fromstring(out).iter("clipitem"):
                for marker in clip.findall("marker"):
                    if "[avevents" in (marker.findtext("comment") or ""):
                        assert float(clip.findtext("in")) <= int(marker.findtext("in")) < float(clip.findtext("out"))
        # Take the bridge's markers out with the bridge: the input, byte for byte.
        empty = Fcp7Document(out, path.name)
        empty.place([Placed(p) for _t, _n, p in empty.pieces() if not isinstance(p, Skip)], scope, {})
        assert empty.serialize() == data, path.name


def test_premiere_example_clips_links_and_markers():
    path = next((p for p in _shared() if p.name == "premiere_example.xml"), None)
    if path is None:
        pytest.skip("premiere_example.xml not in shared/")
    data = path.read_bytes()
    document, out = _place(data, "clips")
    pieces = document.pieces()
    reasons = sorted({p.reason.split(" (")[0] for _t, _n, p in pieces if isinstance(p, Skip)})
    assert len(pieces) == 26 and reasons == ["a nested sequence", "no media file"]
    root, before = ET.fromstring(out), ET.fromstring(data)
    assert len(root.findall(".//link")) == len(before.findall(".//link")) == 57  # the A/V links stay
    marked = [c for c in root.iter("clipitem") if any("[avevents" in (m.findtext("comment") or "") for m in c)]
    assert len(marked) == sum(1 for _t, _n, p in pieces if not isinstance(p, Skip))
    for clip in marked:  # each marker inside its clip's in/out, in the clip's media frames
        first, last = int(clip.findtext("in")), int(clip.findtext("out"))
        for marker in clip.findall("marker"):
            if "[avevents" in (marker.findtext("comment") or ""):
                assert first <= int(marker.findtext("in")) < last
    # The sequence's own markers (one with an empty name) are the user's: untouched, never doubled.
    sequence = root.find("sequence")
    assert [m.findtext("name") for m in sequence.findall("marker")] == ["My MArker 1", "dsf", ""]
    _, timeline = _place(data, "timeline")
    sequence_markers = ET.fromstring(timeline).find("sequence").findall("marker")
    ours = [m for m in sequence_markers if "[avevents" in (m.findtext("comment") or "")]
    frames = [(m.findtext("name"), m.findtext("in"), m.findtext("out")) for m in ours]
    assert ours and len(frames) == len(set(frames))  # a linked video and audio clip give one marker


def test_speed_changes_and_transitions():
    rate = "<rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate>"
    remap = (
        "<filter><effect><effectid>timeremap</effectid><parameter><parameterid>speed</parameterid>"
        "<value>{}</value></parameter></effect></filter>"
    )
    clip = (
        '<clipitem id="c{n}"><name>c{n}</name>{rate}<start>{start}</start><end>{end}</end><in>{i}</in>'
        '<out>{o}</out><file id="f"{file}{filters}</clipitem>'
    )
    file = "><name>a.mov</name><pathurl>file:///m/a.mov</pathurl></file>"
    items = [
        clip.format(n=1, rate=rate, start=0, end=50, i=10, o=60, file=file, filters=remap.format(100)),
        clip.format(n=2, rate=rate, start=-1, end=100, i=100, o=150, file="/>", filters=""),
        clip.format(n=3, rate=rate, start=100, end=125, i=0, o=50, file="/>", filters=remap.format(200)),
    ]
    data = (f"<xmeml><sequence><name>s</name>{rate}<media><video><track>{''.join(items)}</track></video>"
            "</media></sequence></xmeml>").encode()  # fmt: skip
    document = Fcp7Document(data, "s.xml")
    pieces = {name: piece for _t, name, piece in document.pieces()}
    assert pieces["c1"].source_start == 0.4 and pieces["c1"].candidates[0] == "file:///m/a.mov"  # 100 %: kept
    assert pieces["c2"].target.start == 50  # starts inside a transition: counted back from its end
    assert isinstance(pieces["c3"], Skip) and "200 %" in pieces["c3"].reason
    pieces["c2"].path = "/m/a.mov"
    event = {"label": "Scene cut", "start_seconds": 5.0, "end_seconds": 5.0, "id": "c"}  # media frame 125
    document.place([Placed(pieces["c2"], [event])], "timeline", DEFAULT_PALETTE)
    marker = ET.fromstring(document.serialize()).find("sequence/marker")
    assert int(marker.findtext("in")) == 75 and marker.findtext("out") == "-1"  # 50 + (125 - 100)


def test_premiere_example_end_to_end_with_relinked_media(tmp_path):
    """premiere_example.xml relinked (--search-path) to media made with cuts at known frames: the real
    analysis marks each clip's cuts on their frames; the file is otherwise the user's."""
    path = next((p for p in _shared() if p.name == "premiere_example.xml"), None)
    if path is None:
        pytest.skip("premiere_example.xml not in shared/")
    document = Fcp7Document(path.read_bytes(), path.name)
    lengths: dict[str, tuple[float, Fraction]] = {}
    for _t, _n, piece in document.pieces():
        if not isinstance(piece, Skip):
            name = piece.candidates[-1]
            lengths[name] = (max(lengths.get(name, (0, 0))[0], piece.source_end), piece.rate)
    media = tmp_path / "media"
    media.mkdir()
    cuts = {}
    for name, (seconds, rate) in lengths.items():
        if name.lower().endswith((".wav", ".aif", ".aiff")):  # the sequence's sound files: no picture, no cut
            noise = np.random.default_rng(1).normal(0, 0.01, int((seconds + 1) * 48000)).astype(np.float32)
            write_media(media / name, audio=noise, audio_codec="pcm_s16le")
            cuts[name] = []
            continue
        clip = media_factory.write_cut_clip(media / name, rate, (96, 54), seconds + 1, flash=False, fade=False)
        cuts[name] = clip.cuts  # seconds
    out = tmp_path / "marked.xml"
    batch = open_batch("in-process")
    try:
        options = BridgeOptions(labels=("Scene cut",), search_paths=[media])
        report = add_event_markers(path, out, options=options, batch=batch)
    finally:
        batch.close()
    failed = [c for c in report.clips if c.status == "failed"]
    assert report.added > 0 and all(c.name.endswith(".wav") and "no video stream" in c.detail for c in failed)
    assert _canonical_without_own(out.read_bytes()) == _canonical_without_own(path.read_bytes())
    root = ET.fromstring(out.read_bytes())
    files = {f.get("id"): f.findtext("name") for f in root.iter("file") if f.findtext("name")}
    for clip in root.iter("clipitem"):
        ours = [int(m.findtext("in")) for m in clip.findall("marker") if "[avevents" in (m.findtext("comment") or "")]
        file = clip.find("file")
        if file is None or clip.find("sequence") is not None or files.get(file.get("id")) not in cuts:
            continue  # a nested sequence or a title: no media of ours
        first, last = int(clip.findtext("in")), int(clip.findtext("out"))
        base = Fraction(clip.findtext("rate/timebase"))
        rate = base * Fraction(1000, 1001) if clip.findtext("rate/ntsc") == "TRUE" else base  # in/out count these
        want = [f for f in (round(c * rate) for c in cuts[files[file.get("id")]]) if first <= f < last]
        assert ours == want, clip.findtext("name")
