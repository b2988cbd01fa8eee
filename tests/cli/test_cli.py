"""The console script, run as a user runs it: in-process and through a live daemon."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import opentimelineio as otio

from ..conftest import isolated_env, start_daemon


def avevents(*args, env=None, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "avevents.cli.main", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_sample_then_detect_table_json_csv_otio(tmp_path):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    demo = tmp_path / "demo.mp4"
    avevents("sample", demo, "--truth", tmp_path / "truth.json", env=env)
    truth = json.loads((tmp_path / "truth.json").read_text())
    out = avevents(
        "detect",
        demo,
        "--json",
        tmp_path / "r.json",
        "--csv",
        tmp_path / "r.csv",
        "--otio",
        tmp_path / "r.otio",
        env=env,
    )
    assert "in-process" in out.stdout and "Scene cut" in out.stdout and "LABEL" in out.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["media"]["frame_rate"] == {"num": 30000, "den": 1001}
    cuts = [e["start_seconds"] for e in data["events"] if e["label"] == "Scene cut"]
    assert len(cuts) == len(truth["Scene cut"])
    assert all(abs(a - b) < 1 / 29.97 for a, b in zip(cuts, truth["Scene cut"]))
    speech = [(e["start_seconds"], e["end_seconds"]) for e in data["events"] if e["label"] == "Speech"]
    assert len(speech) == len(truth["Speech"])
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert len(rows) == len(data["events"]) and rows[0]["file"] == str(demo)
    timeline = otio.adapters.read_from_file(str(tmp_path / "r.otio"))
    clip = timeline.tracks[0][0]
    assert len(clip.markers) == len(data["events"])
    marker = next(m for m in clip.markers if m.name == "Scene cut")
    assert abs(marker.marked_range.start_time.to_seconds() - cuts[0]) < 1 / 29.97


def test_detect_uses_the_daemon_when_up_with_identical_results(tmp_path, av_clip):
    d = start_daemon()
    try:
        via_daemon = avevents("detect", av_clip.path, "--json", "-", env=d.env)
        local = avevents("detect", av_clip.path, "--json", "-", "--in-process", env=d.env)
        a, b = json.loads(via_daemon.stdout), json.loads(local.stdout)
        assert a["events"] == b["events"] and a["media"] == b["media"]
        status = avevents("status", env=d.env)
        assert "running" in status.stdout and "silero-vad" in status.stdout
        models = avevents("models", "list", env=d.env)
        assert "silero-vad" in models.stdout and "loaded on cpu" in models.stdout
    finally:
        d.stop()


def test_errors_are_clear_and_exit_nonzero(tmp_path):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    missing = avevents("detect", tmp_path / "nope.mp4", env=env, check=False)
    assert missing.returncode != 0 and "no such file" in missing.stderr
    status = avevents("status", env=env, check=False)
    assert status.returncode == 3 and "not running" in status.stdout
    needs_daemon = avevents("detect", tmp_path / "nope.mp4", "--daemon", env=env, check=False)
    assert needs_daemon.returncode != 0 and "avevents serve" in needs_daemon.stderr
    listing = avevents("models", "list", env=env)
    assert "silero-vad" in listing.stdout and "daemon not running" in listing.stdout


def test_cli_start_up_stays_light():
    """Listing models or starting a detection must not import torch (seconds of start-up)."""
    code = (
        "import sys, avevents.cli.main, avevents.engine.pipeline, avevents.daemon.server;"
        "from avevents.engine.residency import ResidentModels; ResidentModels();"
        "assert 'torch' not in sys.modules, 'torch imported at start-up'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_top_lists_what_is_in_a_real_clip(tmp_path, av_store):
    from ..media_factory import shared_or_skip

    clip = shared_or_skip("media", "real", "labelled_clips", "laughtracker_laughter_2.wav")
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")  # the store av_store set up travels in the env
    json_path = tmp_path / "r.json"
    out = avevents("detect", clip, "--in-process", "--pack", "audioset", "--top", "4", "--json", json_path, env=env)
    table = out.stdout.split("MOST PRESENT", 1)[1].strip().splitlines()[1:]  # under the column names
    assert len(table) == 4 and "PEAK/THRESHOLD" in out.stdout
    salient = json.loads((tmp_path / "r.json").read_text())["salient"]
    assert [x["label"] for x in salient] == [line.split("  ")[0].strip() for line in table]
    assert salient[0]["label"] == "Laughter"
    assert not {"Snicker", "Chuckle, chortle", "Giggle"} & {x["label"] for x in salient}  # listed as Laughter
    refused = avevents("detect", clip, "--in-process", "--top", "-1", env=env, check=False)
    assert refused.returncode != 0 and "top must be within 0-1000" in refused.stderr
    assert "Traceback" not in refused.stderr
