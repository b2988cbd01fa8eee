"""EDLs edited in their own lines: media from FROM CLIP NAME / SOURCE FILE / reel, source timecode through
the file's own timecode, LOC lines in record timecode (drop-frame as the file wrote it), speed changes
mapped, freezes refused, and the input back byte for byte once the bridge's LOC lines are taken out."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from avevents.core.errors import InvalidRequest, TimelineUnreadable
from avevents.daemon.batch import open_batch
from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.markers.rates import timecode_to_frames
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers
from avevents.plugins.premiere_bridge.document import Placed, Skip
from avevents.plugins.premiere_bridge.edl import LOC, EdlDocument
from avevents.plugins.premiere_bridge.formats import edl_rate

from ... import media_factory

SHARED_EDLS = media_factory.SHARED / "timelines" / "edl"


def _strip_own(data: bytes) -> bytes:
    lines = data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    kept = [line for line in lines if not (LOC.match(line) and line.rstrip().endswith("(avevents)"))]
    text = "".join(kept)
    return text.encode("utf-8", "surrogateescape")


def _place(document: EdlDocument, events_for) -> bytes:
    """Place ``events_for(piece)`` on every piece as if its media were found (no file: timecode 0)."""
    done = []
    for _track, _name, piece in document.pieces():
        if isinstance(piece, Skip):
            continue
        piece.path = "/nowhere/" + piece.candidates[0]
        clip = piece.target
        piece.source_start = float(Fraction(clip.source_in) / document.rate)
        piece.source_end = float(Fraction(clip.source_out) / document.rate)
        done.append(Placed(piece, events_for(piece)))
    document.place(done, "clips", DEFAULT_PALETTE)
    return document.serialize()


def _middle_event(piece):
    middle = (piece.source_start + piece.source_end) / 2
    return [{"label": "Laughter", "start_seconds": middle, "end_seconds": middle + 0.5, "confidence": 0.7, "id": "x"}]


def test_every_shared_edl_comes_back_byte_for_byte_under_its_loc_lines():
    if not SHARED_EDLS.is_dir():
        pytest.skip(f"shared material not found: {SHARED_EDLS}")
    for path in sorted(SHARED_EDLS.glob("*.edl")):
        data = path.read_bytes()
        document = EdlDocument(data, path.name, Fraction(24))
        out = _place(document, _middle_event)
        assert out != data or not document.added, path.name
        assert _strip_own(out) == data, path.name
        again = EdlDocument(out, path.name, Fraction(24))
        assert _place(again, _middle_event) == out, path.name  # a re-run replaces, never adds twice


def test_loc_lines_hold_record_timecode_and_follow_their_event():
    text = (
        "TITLE: t\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        01:00:10:00 01:00:14:00 00:00:00:00 00:00:04:00\n"
        "* FROM CLIP NAME: a.mov\n\n"
        "002  AX       V     C        01:00:20:00 01:00:28:00 00:00:04:00 00:00:08:00\n"
        "M2   AX       050.0                01:00:20:00\n"
        "* FROM CLIP NAME: a.mov\n"
        "003  AX       V     C        01:00:30:00 01:00:30:01 00:00:08:00 00:00:09:00\n"
        "M2   AX       000.0                01:00:30:00\n"
        "* FROM CLIP NAME: a.mov"  # no line ending at the end of the file
    )
    document = EdlDocument(text.encode(), "t.edl", Fraction(25))
    pieces = document.pieces()
    assert isinstance(pieces[2][2], Skip) and "freeze" in pieces[2][2].reason

    def at_source_second(piece):
        # 01:00:12:00 in the first event, 01:00:24:00 in the second (shown at twice the speed).
        second = 3612.0 if piece.target.number == "001" else 3624.0
        return [{"label": "Scene cut", "start_seconds": second, "end_seconds": second, "confidence": 0.9, "id": "c"}]

    out = _place(document, at_source_second).decode()
    lines = out.splitlines()
    first = lines.index("* FROM CLIP NAME: a.mov")
    assert lines[first + 1] == "* LOC: 00:00:02:00 RED     Scene cut 0.90 (avevents)"  # 2 s into the event
    assert lines[first + 2] == ""  # before the blank line that ends the event
    second = lines.index("* FROM CLIP NAME: a.mov", first + 1)
    assert lines[second + 1] == "* LOC: 00:00:06:00 RED     Scene cut 0.90 (avevents)"  # 4 s of source in 2 s
    assert _strip_own(out.encode()) == text.encode()


def test_drop_frame_is_read_and_written_as_the_file_has_it():
    rate = Fraction(30000, 1001)
    for separator, fcm in ((";", ""), (":", "FCM: DROP FRAME\n")):

        def tc(code: str, separator=separator) -> str:
            return code.replace(";", separator)

        text = (
            f"TITLE: df\n{fcm}001  AX V C        {tc('00:59:59;28')} {tc('01:00:10;00')} "
            f"{tc('00:00:59;28')} {tc('00:01:10;00')}\n* FROM CLIP NAME: a.mov\n"
        )
        document = EdlDocument(text.encode(), "df.edl", rate)
        clip = document.clips[0]
        assert clip.drop_frame and clip.source_in == timecode_to_frames("00:59:59;28", rate)
        start = float(Fraction(clip.source_in) / rate) + 2 / float(rate)  # 2 frames on: across the minute
        cut = {"label": "Cut", "start_seconds": start, "end_seconds": start, "id": "c"}
        out = _place(document, lambda _piece, cut=cut: [cut])
        loc = out.decode().splitlines()[-1]
        assert loc.startswith(f"* LOC: {tc('00:01:00;02')} "), loc  # 01:00;00 and ;01 do not exist in DF


def test_rates_and_bad_files_are_refused_before_any_analysis(tmp_path):
    assert edl_rate("23.976") == Fraction(24000, 1001) and edl_rate("29.97") == Fraction(30000, 1001)
    assert edl_rate("59.94") == Fraction(60000, 1001) and edl_rate("24000/1001") == Fraction(24000, 1001)
    assert edl_rate(25.0) == 25
    for bad in ("fast", "0", "1/0"):
        with pytest.raises(InvalidRequest, match="not a frame rate"):
            edl_rate(bad)
    with pytest.raises(InvalidRequest, match=r"drop-frame.*--rate 25"):
        EdlDocument(b"FCM: DROP FRAME\n001 AX V C 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n", "d", Fraction(25))
    with pytest.raises(TimelineUnreadable, match="no EDL event lines"):
        EdlDocument(b"TITLE: nothing\n", "e.edl", Fraction(25))
    empty = tmp_path / "e.edl"
    empty.write_bytes(b"")
    with pytest.raises(TimelineUnreadable, match="no EDL event lines"):
        add_event_markers(empty, options=BridgeOptions(rate="25"), batch=object())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.edl"]


def test_premiere_style_edl_end_to_end(tmp_path):
    """A clip named only by FROM CLIP NAME (no path, no extension), found under --search-path, its source
    timecode read through the file's own timecode track; the real analysis puts each cut on its frame."""
    rate = Fraction(25)
    media = tmp_path / "media"
    media.mkdir()
    clip = media_factory.write_cut_clip(media / "A001_C002.mov", rate, (160, 90), 8, timecode="01:00:00:00")
    cuts = [round(c * rate) for c in clip.cuts]
    text = (
        "TITLE: Sequence 01\r\nFCM: NON-DROP FRAME\r\n\r\n"
        "001  AX       V     C        01:00:01:00 01:00:07:00 01:00:00:00 01:00:06:00 \r\n"
        "* FROM CLIP NAME: A001_C002\r\n\r\n"
    )
    source = tmp_path / "Sequence 01.edl"
    source.write_bytes(text.encode())
    source.chmod(0o640)
    batch = open_batch("in-process")
    try:
        options = BridgeOptions(labels=("Scene cut",), rate="25", search_paths=[media])
        report = add_event_markers(source, options=options, batch=batch)
        out = Path(report.output)
        got = [line for line in out.read_bytes().decode().split("\r\n") if line.startswith("* LOC")]
        want = [f - 25 for f in cuts if 25 <= f < 175]  # media frames 25-175 shown from record 01:00:00:00
        record = [timecode_to_frames(line.split()[2], rate) - 90000 for line in got]
        assert want and record == want and report.added == len(got) and all(c.status == "marked" for c in report.clips)
        assert _strip_own(out.read_bytes()) == text.encode()
        # Written over the source itself, twice: the same bytes, and the source's permissions.
        add_event_markers(out, source, options=options, batch=batch)
        add_event_markers(source, source, options=options, batch=batch)
        assert source.read_bytes() == out.read_bytes() and source.stat().st_mode & 0o777 == 0o640
    finally:
        batch.close()
