"""``avevents detect FILE --resolve-edl/--avid/--fcpxml/--fcp7xml/--srt/--vtt``: every marker file of a
real analysis read back to the same frames as the CSV, at the media's exact rate and start timecode."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio

from avevents.plugins.markers.rates import timecode_to_frames
from avevents.plugins.premiere_bridge.edl import EdlDocument

from .. import media_factory
from ..conftest import isolated_env
from .test_cli import avevents

RATE = Fraction(30000, 1001)


def test_every_marker_file_agrees_with_the_csv_to_the_frame(tmp_path):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    clip = media_factory.write_cut_clip(tmp_path / "take.mov", RATE, (160, 90), 12, timecode="00:59:50;00")
    outputs = {k: tmp_path / f"m.{k}" for k in ("resolve-edl", "avid", "fcpxml", "fcp7xml", "srt", "vtt", "csv")}
    args = [a for k, path in outputs.items() for a in (f"--{k}", path)]
    avevents("detect", clip.path, "--in-process", "--labels", "Scene cut", "-q", *args, env=env)
    rows = list(csv.DictReader(outputs["csv"].open()))
    frames = [int(r["start_frame"]) for r in rows]
    assert frames == [round(c * RATE) for c in clip.cuts]  # the cuts, on their frames
    assert rows[0]["frame_rate"] == "30000/1001" and ";" in rows[0]["start_timecode"]  # drop-frame at 29.97
    start = timecode_to_frames("00:59:50;00", RATE)
    assert [timecode_to_frames(r["start_timecode"], RATE) - start for r in rows] == frames  # the file's own timecode
    # Resolve's marker EDL: record timecode from Resolve's 01:00:00:00 timeline start, read by our EDL reader.
    edl = EdlDocument(outputs["resolve-edl"].read_bytes(), "m.edl", RATE)
    assert [c.record_in - timecode_to_frames("01:00:00;00", RATE) for c in edl.clips] == frames
    avid = [line.split("\t") for line in outputs["avid"].read_text().splitlines()]
    assert [timecode_to_frames(r[1], RATE) - start for r in avid] == frames and {r[3] for r in avid} == {"red"}
    fcp7 = otio.adapters.read_from_file(str(outputs["fcp7xml"]), adapter_name="fcp_xml")
    assert sorted(round(m.marked_range.start_time.value) for c in fcp7.find_clips() for m in c.markers) == frames
    fcpxml = ET.parse(outputs["fcpxml"]).getroot()
    asset_start = Fraction(fcpxml.find(".//asset").get("start")[:-1])
    assert [round((Fraction(m.get("start")[:-1]) - asset_start) * RATE) for m in fcpxml.iter("marker")] == frames
    cues = [block.splitlines()[1] for block in outputs["srt"].read_text().strip().split("\n\n")]
    assert len(cues) == len(frames) and cues[0].startswith("00:00:0")
    assert outputs["vtt"].read_text().startswith("WEBVTT\n\n")


def test_one_media_file_per_marker_file_and_a_folder_of_them(tmp_path):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    first = media_factory.write_cut_clip(tmp_path / "a.mov", Fraction(25), (96, 54), 6)
    second = media_factory.write_cut_clip(tmp_path / "b.mov", Fraction(25), (96, 54), 6)
    refused = avevents("detect", first.path, second.path, "--in-process", "--srt", tmp_path / "x.srt", env=env,
                       check=False)  # fmt: skip
    assert refused.returncode == 2 and "--out DIR --format srt" in refused.stderr and not (tmp_path / "x.srt").exists()
    out = tmp_path / "subs"
    avevents("detect", first.path, second.path, "--in-process", "--labels", "Scene cut", "--out", out, "--format",
             "resolve-edl", "-q", env=env)  # fmt: skip
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.mov.edl", "b.mov.edl"]
