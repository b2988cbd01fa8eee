"""Damaged media never crash the probe or the decoder: they analyse, or fail with a one-line MediaError.

The corpus is made here from small valid files with a fixed seed (see ``fuzz_corpus``); nothing is
committed. Before the fix, the default corpus (208 files with ../shared present) gave 13 crashes
(AttributeError on a stream without codec context, EPERM from the seek in a ``finally``, the resampler's
EINVAL on 255 channels) and 15 files analysed as "0.00 s, 0 events" without a word.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import av
import numpy as np
import pytest

from avevents.core.errors import MediaUnreadable
from avevents.engine.media.decode import DecodeSettings, _AudioChannel, decode
from avevents.engine.media.probe import probe

from ... import media_factory
from ...conftest import isolated_env
from . import fuzz_corpus

log = logging.getLogger(__name__)

BAD_OUTCOMES = ("crash", "hang", "silent")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> list:
    return fuzz_corpus.write_seeds(tmp_path_factory.mktemp("fuzz-seeds"))


def _assert_no_bad_outcomes(outcomes: dict) -> dict[str, int]:
    counts = fuzz_corpus.summary(outcomes)
    log.info("fuzzed media: %s", counts)
    bad = [f"{path.name}: {o.kind}: {o.detail}" for path, o in outcomes.items() if o.kind in BAD_OUTCOMES]
    assert not bad, f"{len(bad)} of {len(outcomes)} damaged files broke the probe or the analysis:\n" + "\n".join(bad)
    return counts


def test_fuzzed_media_analyse_or_fail_with_one_line(seeds, tmp_path):
    corpus = fuzz_corpus.variants(seeds)
    assert len(corpus) >= 150
    outcomes = fuzz_corpus.run_corpus(fuzz_corpus.write_variants(tmp_path, corpus), timeout=30)
    counts = _assert_no_bad_outcomes(outcomes)
    # The corpus is only worth something when it holds both kinds.
    assert counts.get("ok", 0) > 30 and counts.get("media-error", 0) > 30


@pytest.mark.slow
def test_larger_fuzzed_corpus(seeds, tmp_path):
    corpus = [v for seed in range(3) for v in fuzz_corpus.variants(seeds, fuzz_corpus.FUZZ_SEED + seed, flips=12)]
    outcomes = fuzz_corpus.run_corpus(fuzz_corpus.write_variants(tmp_path, corpus), timeout=60)
    _assert_no_bad_outcomes(outcomes)


@pytest.mark.parametrize("channels", [255, 65])
def test_wav_declaring_too_many_channels_is_unreadable(tmp_path, channels):
    path = media_factory.write_raw_wav(tmp_path / "many.wav", np.zeros((16000, channels), np.int16), 16000)
    with pytest.raises(MediaUnreadable, match=f"declares {channels} channels"):
        probe(path)


def test_many_channels_are_mixed_down_where_ffmpeg_cannot(tmp_path):
    """32 unnamed channels: FFmpeg's resampler refuses the layout, the decoder averages them itself."""
    rate, channels = 16000, 32
    audio = np.zeros((rate, channels), np.float32)
    audio[:, 3] = 0.64 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    info = probe(media_factory.write_raw_wav(tmp_path / "array.wav", audio, rate))
    assert info.audio_channels == channels
    mono = np.concatenate([b.samples for b in decode(info, DecodeSettings(audio_rates=(rate,)))])
    assert len(mono) == rate
    assert np.abs(mono).max() == pytest.approx(0.64 / channels, rel=0.05)


def _tone_frame(rate: int, layout: str, seconds: float) -> av.AudioFrame:
    n = int(rate * seconds)
    channels = av.AudioLayout(layout).nb_channels
    data = np.tile(0.1 * np.sin(np.arange(n, dtype=np.float32))[None], (channels, 1)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
    frame.sample_rate = rate
    return frame


def test_audio_that_changes_shape_midstream_is_resampled(tmp_path):
    """A damaged MP3 frame can decode as another rate or layout: PyAV's resampler refuses such a frame
    ("Frame does not match AudioResampler setup"); the channel starts a new resampler instead."""
    channel = _AudioChannel(16000, 10.0, 0.0, 10.0, tmp_path / "x.mp3")
    blocks = [*channel.push(_tone_frame(16000, "mono", 0.5), 0.0)]
    blocks += [*channel.push(_tone_frame(44100, "stereo", 0.5), 0.5)]
    blocks += [*channel.push(_tone_frame(16000, "mono", 0.5), 1.0)]
    blocks += [*channel.push(None, None)]
    total = sum(len(b.samples) for b in blocks)
    assert abs(total - 1.5 * 16000) < 200  # the resamplers' delays aside, nothing lost or doubled


@pytest.fixture
def real_recording():
    return media_factory.shared_or_skip("media", "real", "av_clips", "0lFf-HP86Q0.mp4")


def test_piped_mkv_of_a_real_recording_gives_the_same_events(tmp_path, real_recording, run_detect):
    """``ffmpeg ... -f matroska pipe:1 > x.mkv`` declares no duration: it was "0.00 s, 0 events"."""
    piped = media_factory.write_piped_mkv(real_recording, tmp_path / "piped.mkv")
    remuxed = media_factory.cut_real_clip(real_recording, tmp_path / "remuxed.mkv", None)
    with av.open(str(piped)) as container:
        assert container.duration is None  # the premise: nothing in the file says how long it is
    a, b = run_detect(piped, pack="builtin"), run_detect(remuxed, pack="builtin")
    assert a.media.duration_seconds == pytest.approx(b.media.duration_seconds, abs=0.1)
    assert a.events and [e.label for e in a.events] == [e.label for e in b.events]
    for x, y in zip(a.events, b.events, strict=True):
        assert x.start_seconds == pytest.approx(y.start_seconds, abs=0.1)
        assert x.end_seconds == pytest.approx(y.end_seconds, abs=0.1)


def test_piped_mkv_of_a_synthetic_clip_finds_its_clap(tmp_path, run_detect):
    clip = media_factory.write_small_clip(tmp_path / "clap.mp4", seconds=3.0)
    piped = media_factory.write_piped_mkv(clip.path, tmp_path / "clap.mkv")
    result = run_detect(piped, pack="builtin")
    assert result.media.duration_seconds == pytest.approx(clip.duration, abs=0.1)
    transients = [e.start_seconds for e in result.events if e.label == "Transient"]
    assert any(abs(t - clip.transients[0]) < 0.1 for t in transients), result.events


def test_a_recording_with_only_its_header_is_unreadable_not_zero_seconds(tmp_path):
    """A recording that has written its Matroska header and no cluster yet: no duration declared and no
    packet to measure one by. (A file whose packets carry no timestamps fails with "its length cannot be
    found"; the fuzzed corpus holds one.)"""
    clip = media_factory.write_small_clip(tmp_path / "a.mka", video_codec=None, audio_codec="flac")
    data = media_factory.write_piped_mkv(clip.path, tmp_path / "piped.mka").read_bytes()
    first_cluster = data.find(b"\x1f\x43\xb6\x75")  # the Matroska Cluster element's id
    assert first_cluster > 0
    header_only = tmp_path / "header-only.mka"
    header_only.write_bytes(data[:first_cluster])
    with pytest.raises(MediaUnreadable, match="truncated"):
        probe(header_only)


def _detect_in_process(tmp_path, *files):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")  # a private runtime dir: no daemon found or started
    return subprocess.run(
        [sys.executable, "-m", "avevents.cli.main", "detect", "--in-process", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_reports_tiny_and_text_files_on_one_line_each(tmp_path):
    one_byte = tmp_path / "one.flac"
    one_byte.write_bytes(b"f")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("meeting notes, not audio\n" * 10)
    proc = _detect_in_process(tmp_path, one_byte, empty, text)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in proc.stderr, proc.stderr
    for line, path in zip(lines, (one_byte, empty, text), strict=True):
        assert line.startswith(f"error: {path}: "), line


def test_cli_goes_on_to_the_next_file_after_a_damaged_one(tmp_path):
    good = media_factory.write_small_clip(tmp_path / "good.wav", video_codec=None, audio_codec="pcm_s16le").path
    data = good.read_bytes()
    channels_field = fuzz_corpus.riff_chunks(data)[b"fmt "] + 4 + 2
    damaged = tmp_path / "damaged.wav"
    damaged.write_bytes(fuzz_corpus.patched(data, channels_field, "<H", 255))
    proc = _detect_in_process(tmp_path, damaged, good)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "255 channels" in proc.stderr
    assert f"{good}  (1.50 s" in proc.stdout
