"""What can go wrong is said once, before the analysis where it can be, and nothing is written: a missing
timeline, a folder that is not there, options no analysis can honour, a rate that does not match the
media, a library with several projects for a one-timeline format; the output format follows -o."""

from __future__ import annotations

from fractions import Fraction

import pytest

from avevents.cli.main import main as cli
from avevents.core.errors import InvalidRequest, TimelineUnreadable
from avevents.daemon.batch import open_batch
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers

from ... import media_factory

EDL = (
    "TITLE: t\nFCM: NON-DROP FRAME\n"
    "001  AX       V     C        01:00:01:00 01:00:05:00 01:00:00:00 01:00:04:00\n* FROM CLIP NAME: shot.mov\n"
)


@pytest.fixture(scope="module")
def batch():
    opened = open_batch("in-process")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    media_factory.write_cut_clip(folder / "shot.mov", Fraction(24000, 1001), (96, 54), 8, timecode="01:00:00:00")
    return folder


def test_missing_timeline_and_folders(tmp_path, capsys):
    for name in ("gone.xml", "gone.fcpxml", "gone.edl", "gone.otio"):
        with pytest.raises(TimelineUnreadable, match=rf"^{tmp_path}/{name}: no such file$"):
            add_event_markers(tmp_path / name, batch=object())
        assert cli(["otio", str(tmp_path / name), "--in-process"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    source = tmp_path / "t.edl"
    source.write_text(EDL)
    with pytest.raises(InvalidRequest, match=r"--search-path .*nowhere: no such folder"):
        add_event_markers(source, options=BridgeOptions(rate="24", search_paths=[tmp_path / "nowhere"]), batch=object())


def test_options_no_analysis_can_honour_are_one_error_and_nothing_is_written(tmp_path, media, batch):
    source = tmp_path / "t.edl"
    source.write_text(EDL)
    for options in (
        BridgeOptions(rate="23.976", labels=("Explosion",), search_paths=[media]),
        BridgeOptions(rate="23.976", labels=("Scene cut", "Bogus"), search_paths=[media]),
        BridgeOptions(rate="23.976", sensitivity=5, search_paths=[media]),
    ):
        with pytest.raises(InvalidRequest):
            add_event_markers(source, options=options, batch=batch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.edl"]


def test_a_rate_that_does_not_match_the_media_is_refused_per_clip(tmp_path, media, batch):
    source = tmp_path / "t.edl"
    source.write_text(EDL)
    wrong = BridgeOptions(rate="24", labels=("Scene cut",), search_paths=[media])
    report = add_event_markers(source, options=wrong, batch=batch)
    assert [c.status for c in report.clips] == ["skipped"]
    assert "23.976 fps but --rate is 24.000" in report.clips[0].detail
    good = add_event_markers(source, options=BridgeOptions(rate="23.976", labels=("Scene cut",), search_paths=[media]),
                             batch=batch)  # fmt: skip
    assert [c.status for c in good.clips] == ["marked"] and good.added > 0
    drop = tmp_path / "df.edl"
    drop.write_text(EDL.replace("NON-DROP FRAME", "DROP FRAME"))
    with pytest.raises(InvalidRequest, match="drop-frame"):
        add_event_markers(drop, options=BridgeOptions(rate="30"), batch=batch)


def test_output_format_follows_the_output_name_and_conversions_are_checked_first(tmp_path, media, batch):
    source = tmp_path / "t.edl"
    source.write_text(EDL)
    with pytest.raises(InvalidRequest, match=r"OpenTimelineIO's edl reader.*finds no media"):
        # OTIO's EDL reader cannot find FROM CLIP NAME media: refused before any analysis, not an empty result
        add_event_markers(source, tmp_path / "t.otio", options=BridgeOptions(rate="23.976", search_paths=[media]),
                          batch=batch)  # fmt: skip
    xml = tmp_path / "t.xml"  # .xml from an EDL means FCP7 XML (through OTIO), not EDL text in a .xml
    with pytest.raises(InvalidRequest, match="conversion to fcp7xml"):
        add_event_markers(source, xml, options=BridgeOptions(rate="23.976", search_paths=[media]), batch=batch)
    assert not (tmp_path / "t.otio").exists() and not xml.exists()
    skipped = tmp_path / "skipped.edl"  # every clip skipped: nothing written
    report = add_event_markers(source, skipped, options=BridgeOptions(rate="24", search_paths=[media]), batch=batch)
    assert report.output is None and not skipped.exists()
    library = media_factory.SHARED / "timelines" / "fcpxml" / "fcpx_library.fcpxml"
    if not library.is_file():
        pytest.skip(f"shared material not found: {library}")
    with pytest.raises(InvalidRequest, match=r"holds 2 projects .*choose one with --project"):
        add_event_markers(library, tmp_path / "x.edl", options=BridgeOptions(rate="25"), batch=batch)
