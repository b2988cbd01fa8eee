"""The real plugin code end to end: the Resolve stand-in, the JSON-lines worker under this interpreter,
a real daemon on a real socket, real media files. Marker frames must be exact for scene cuts on 24,
23.976 and 29.97 timelines that start at 01:00:00:00 with trimmed clips; speech ranges land within a
quarter second; a 25 fps clip on those timelines maps through seconds."""

from __future__ import annotations

import sys
import threading
import time
from fractions import Fraction

import pytest

from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.resolve.app import DetectSettings, detect_events
from avevents.plugins.resolve.link import LinkError, WorkerLink
from avevents.plugins.resolve.scope import ScopeOptions

from ... import media_factory
from ...conftest import isolated_env, start_daemon, stop_daemon_in
from .fake_resolve import MediaPoolItem, Resolve, Timeline, TimelineItem

RATES = [Fraction(24), Fraction(24000, 1001), Fraction(30000, 1001)]


@pytest.fixture(scope="module")
def daemon():
    d = start_daemon()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def link(daemon):
    worker = WorkerLink(sys.executable, env=daemon.env)
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def cut_clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cuts")
    return {
        rate: media_factory.write_cut_clip(folder / f"cuts_{rate.numerator}_{rate.denominator}.mov", rate, seconds=8)
        for rate in RATES
    }


def _own(timeline) -> dict[int, dict]:
    return {f: m for f, m in timeline.markers.items() if m["customData"].startswith("avevents|")}


@pytest.mark.parametrize("rate", RATES, ids=["24", "23.976", "29.97"])
def test_cut_markers_land_on_the_exact_frame(rate, cut_clips, speech_clip, link):
    clip = cut_clips[rate]
    cut_frames = [round(t * rate) for t in clip.cuts]
    total = round(clip.duration * rate)
    tl = Timeline(f"Edit {float(rate):.3f}", rate)
    start = tl.GetStartFrame()
    media = MediaPoolItem(str(clip.path), rate)
    head, tail = 30, 10
    a = tl.place("video", 1, TimelineItem("shots", media, start + 48, total - head - tail, source_offset=head))
    # The same clip again, trimmed to the second cut +- 20 frames.
    b_start = a.GetEnd() + 24
    tl.place("video", 1, TimelineItem("again", media, b_start, 40, source_offset=cut_frames[1] - 20))
    # A 25 fps clip with speech on audio track 1, trimmed by 2 seconds.
    speech = tl.place("audio", 1, TimelineItem("talk", MediaPoolItem(str(speech_clip.path), Fraction(25)), start, 0))
    speech.source_offset = 50
    speech.duration = int((speech_clip.duration - 3) * rate)
    tl.AddMarker(48 + cut_frames[0] - head, "Cream", "director's note", "keep", 1, "")  # on the first cut
    progress: list[tuple] = []
    settings = DetectSettings(labels=["Scene cut", "Speech"])
    summary = detect_events(Resolve(tl), settings, link, DEFAULT_PALETTE, lambda *a: progress.append(a))

    own = _own(tl)
    cuts = sorted(f for f, m in own.items() if m["name"] == "Scene cut")
    expected_a = [48 + f - head for f in cut_frames if head <= f < total - tail]
    expected_b = [b_start - start + 20]
    assert cuts == sorted(set(expected_a[1:] + expected_b)), (cuts, expected_a, expected_b)
    assert all(own[f]["duration"] == 1 and own[f]["color"] == "Red" for f in cuts)
    assert tl.markers[expected_a[0]]["name"] == "director's note"  # the user's marker stays, cut skipped
    assert len(summary.skipped_markers) == 1 and "director's note" in summary.skipped_markers[0]

    talk = sorted((f, m["duration"]) for f, m in own.items() if m["name"] == "Speech")
    src0 = 50 / 25
    wanted = [(max(a_, src0), b_) for a_, b_ in speech_clip.speech if b_ > src0]  # the first is trimmed
    assert len(talk) == len(wanted), (talk, wanted)
    for (frame, duration), (s0, s1) in zip(talk, wanted):
        assert abs(frame - (s0 - src0) * rate) <= 0.25 * rate
        assert abs(frame + duration - (s1 - src0) * rate) <= 0.25 * rate
        assert "confidence" in own[frame]["note"] and "speech.mp4" in own[frame]["note"]
    assert summary.media == 2 and not summary.failed_media  # both uses of the cut clip in one request
    seen = {p[0] for p in progress}
    assert seen == {0, 1} and all(p[1] == 2 for p in progress)


def test_rerun_replaces_and_a_missing_file_is_reported(cut_clips, link, tmp_path):
    rate = RATES[0]
    clip = cut_clips[rate]
    copy = tmp_path / "copy.mov"
    copy.write_bytes(clip.path.read_bytes())
    tl = Timeline("T", rate)
    start = tl.GetStartFrame()
    n = round(clip.duration * rate)
    tl.place("video", 1, TimelineItem("one", MediaPoolItem(str(clip.path), rate), start, n))
    tl.place("video", 2, TimelineItem("two", MediaPoolItem(str(copy), rate), start + n, n))
    resolve = Resolve(tl)
    settings = DetectSettings(labels=["Scene cut"])
    first = detect_events(resolve, settings, link, DEFAULT_PALETTE)
    assert first.added == 6 and first.removed == 0
    copy.write_bytes(copy.read_bytes()[:2000])  # now corrupt: analysis fails, its markers stay
    second = detect_events(resolve, settings, link, DEFAULT_PALETTE)
    assert second.removed == 3 and second.added == 3 and len(_own(tl)) == 6
    assert len(second.failed_media) == 1 and str(copy) in second.failed_media[0]


def test_cancel_leaves_the_timeline_unchanged(daemon, long_clip):
    tl = Timeline("T", Fraction(30))
    tl.place("video", 1, TimelineItem("long", MediaPoolItem(str(long_clip), Fraction(30)), tl.GetStartFrame(), 7200))
    worker = WorkerLink(sys.executable, env=daemon.env)
    started = threading.Event()
    result = {}

    def run():
        result["summary"] = detect_events(
            Resolve(tl), DetectSettings(labels=["Speech"]), worker, DEFAULT_PALETTE, lambda *a: started.set()
        )

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(60)
    t0 = time.monotonic()
    worker.cancel()
    thread.join(30)
    assert not thread.is_alive() and time.monotonic() - t0 < 10
    assert result["summary"].cancelled and tl.markers == {}
    assert worker.status()["running"]  # the worker and the daemon keep serving
    worker.close()


def test_daemon_not_running_is_said_and_can_be_started(tmp_path, cut_clips):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    worker = WorkerLink(sys.executable, env=env)
    tl = Timeline("T", Fraction(24))
    clip = cut_clips[Fraction(24)]
    tl.place("video", 1, TimelineItem("c", MediaPoolItem(str(clip.path), Fraction(24)), tl.GetStartFrame(), 100))
    with pytest.raises(LinkError) as caught:
        detect_events(Resolve(tl), DetectSettings(labels=["Scene cut"]), worker, DEFAULT_PALETTE)
    assert caught.value.kind == "DaemonUnavailable" and "not running" in caught.value.message
    status = worker.start_daemon()
    try:
        assert status["running"], status
        summary = detect_events(Resolve(tl), DetectSettings(labels=["Scene cut"]), worker, DEFAULT_PALETTE)
        assert summary.added >= 1
    finally:
        worker.close()
        stop_daemon_in(tmp_path / "run")


def test_broken_interpreter_path_is_a_clear_error():
    worker = WorkerLink("/nonexistent/python3")
    with pytest.raises(LinkError, match="cannot start avevents' Python"):
        worker.status()


def test_scope_options_reach_the_plan(cut_clips, link):
    rate = RATES[2]
    clip = cut_clips[rate]
    tl = Timeline("T", rate, "01:00:00;00", drop_frame=True)
    n = round(clip.duration * rate)
    tl.place("video", 1, TimelineItem("c", MediaPoolItem(str(clip.path), rate), tl.GetStartFrame(), n))
    tl.place("video", 2, TimelineItem("c2", MediaPoolItem(str(clip.path), rate), tl.GetStartFrame() + n, n))
    settings = DetectSettings(ScopeOptions(video_tracks=[2], audio_tracks=[]), labels=["Scene cut"])
    summary = detect_events(Resolve(tl), settings, link, DEFAULT_PALETTE)
    frames = sorted(_own(tl))
    assert summary.added == 3 and all(f >= n for f in frames)
    assert tl.GetStartFrame() == 107892  # 01:00:00;00 drop-frame at 29.97
