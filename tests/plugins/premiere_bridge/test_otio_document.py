"""OTIO files holding a single Clip or a collection of timelines and clips are marked (not a traceback),
and a clip whose speed is changed is refused per clip with the reason."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio

from avevents.daemon.batch import open_batch
from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers
from avevents.plugins.premiere_bridge.formats import FORMATS, read_timeline, write_timeline

from ... import media_factory


def _range(seconds: float, rate: int) -> otio.opentime.TimeRange:
    start, length = otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(seconds * rate, rate)
    return otio.opentime.TimeRange(start, length)


def _clip(path, name="shots", seconds=8, rate=25):
    url = otio.url_utils.url_from_filepath(str(path))
    ref = otio.schema.ExternalReference(target_url=url, available_range=_range(seconds, rate))
    return otio.schema.Clip(name, ref, _range(seconds, rate))


def test_a_clip_a_collection_and_a_time_warp(tmp_path):
    made = media_factory.write_cut_clip(tmp_path / "shots.mov", Fraction(25), (96, 54), 8)
    cuts = sorted(round(c * 25) for c in made.cuts)
    batch = open_batch("in-process")
    try:
        options = BridgeOptions(labels=("Scene cut",))
        single = tmp_path / "clip.otio"
        write_timeline(_clip(made.path), single, FORMATS["otio"])
        add_event_markers(single, single, options=options, batch=batch)
        clip = read_timeline(single, FORMATS["otio"])
        assert isinstance(clip, otio.schema.Clip)
        assert sorted(round(m.marked_range.start_time.value) for m in clip.markers) == cuts
        timeline = otio.schema.Timeline("t")
        track = otio.schema.Track("V1")
        track.extend([_clip(made.path, "plain"), _clip(made.path, "fast")])
        timeline.tracks.append(track)
        timeline.tracks[0][1].effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
        collection = otio.schema.SerializableCollection("bin")
        collection.extend([timeline, _clip(made.path, "loose")])
        source = tmp_path / "bin.otio"
        write_timeline(collection, source, FORMATS["otio"])
        report = add_event_markers(source, options=options, batch=batch)
    finally:
        batch.close()
    statuses = {c.name: (c.status, c.detail) for c in report.clips}
    assert statuses["plain"][0] == statuses["loose"][0] == "marked"
    assert statuses["fast"][0] == "skipped" and "LinearTimeWarp x2" in statuses["fast"][1]
    result = read_timeline(report.output, FORMATS["otio"])
    assert isinstance(result, otio.schema.SerializableCollection)
    assert sum(len(c.markers) for c in result.find_clips()) == 2 * len(cuts)
