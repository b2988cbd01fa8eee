"""Scene cuts within one frame, nothing on flashes, fades or steady shots, right on VFR files."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ...media_factory import shared_or_skip, write_cut_clip, write_static_clip


def cut_times(result):
    return [e.start_seconds for e in result.events if e.label == "Scene cut"]


@pytest.mark.parametrize("rate", [Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001)])
def test_cuts_within_one_frame_and_no_flash_or_fade(tmp_path, run_detect, rate):
    clip = write_cut_clip(tmp_path / "cuts.mp4", frame_rate=rate, seconds=8.0)
    result = run_detect(clip.path, labels=("Scene cut",))
    found = cut_times(result)
    frame = 1 / float(rate)
    assert len(found) == len(clip.cuts), (found, clip.cuts)
    for truth, got in zip(clip.cuts, found):
        assert abs(truth - got) < frame / 2, f"cut at {got:.4f} s, truth {truth:.4f} s"
    for e in result.events:
        assert e.video_confidence == e.confidence and e.audio_confidence is None
        assert abs((e.end_seconds - e.start_seconds) - frame) < 1e-3  # one frame long


@pytest.mark.parametrize("moving", [False, True])
def test_no_spurious_cuts_on_steady_shots(tmp_path, run_detect, moving):
    clip = write_static_clip(tmp_path / "still.mp4", moving=moving)
    assert cut_times(run_detect(clip.path, labels=("Scene cut",))) == []


def test_real_vfr_file_cuts_at_reference_frames(run_detect):
    """PySceneDetect's goldeneye VFR clip: every detector of theirs puts cuts at frames 90 and 210
    of the 23.976 fps original (frames were dropped, so timestamps, not indices, are the truth)."""
    path = shared_or_skip("media", "real", "scene_cuts", "goldeneye-vfr-drop3.mp4")
    result = run_detect(path, labels=("Scene cut",))
    assert result.media.variable_frame_rate
    found = cut_times(result)
    expected = [90 * 1001 / 24000, 210 * 1001 / 24000]
    assert len(found) == 2, found
    for truth, got in zip(expected, found):
        assert abs(truth - got) <= 1001 / 24000, (truth, got)


def test_real_testvideo_hard_cuts(run_detect):
    """testvideo.mp4: hard cuts at frames 30 and 180 (all of PySceneDetect's detectors agree); the
    fade from black at 394 is not a hard cut."""
    path = shared_or_skip("media", "real", "scene_cuts", "testvideo.mp4")
    found = cut_times(run_detect(path, labels=("Scene cut",)))
    frames = [round(t * 30000 / 1001) for t in found]
    assert frames == [30, 180]
