"""Probing and decoding real containers written by the tests."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from avevents.core.errors import MediaError
from avevents.engine.media.decode import AudioBlock, DecodeSettings, VideoFrame, decode
from avevents.engine.media.probe import probe
from avevents.engine.media.writer import write_media

from ...media_factory import shared_or_skip


def _frames(n, w, h, value=100):
    return (np.full((h, w, 3), (value + i) % 255, np.uint8) for i in range(n))


@pytest.mark.parametrize("rate", [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001), 24, 25])
def test_exact_frame_rates(tmp_path, rate):
    path = tmp_path / "r.mp4"
    write_media(path, frames=_frames(30, 64, 48), frame_rate=rate)
    info = probe(path)
    assert info.frame_rate == Fraction(rate) and not info.variable_frame_rate


def test_odd_size_rotation_and_upright_pictures(tmp_path):
    path = tmp_path / "rot.mp4"
    write_media(path, frames=_frames(25, 98, 54), frame_rate=25, rotation=90)
    info = probe(path)
    assert (info.width, info.height) == (98, 54) and info.rotation_degrees == 90
    pictures = [
        f.picture
        for f in decode(info, DecodeSettings(picture_fps=5, picture_size=32))
        if isinstance(f, VideoFrame) and f.picture is not None
    ]
    assert len(pictures) == 5
    assert pictures[0].shape[0] > pictures[0].shape[1]  # turned upright: portrait


def test_real_rotated_file(run_detect):
    info = probe(shared_or_skip("media", "real", "scene_cuts", "issue-134-rotate.mp4"))
    assert info.rotation_degrees == 270 and info.frame_rate == Fraction(24000, 1001)


def test_multiple_audio_streams_choose_first_or_asked(tmp_path):
    path = tmp_path / "two.mkv"
    rate = 16000
    with av.open(str(path), "w") as container:
        streams = [container.add_stream("pcm_s16le", rate=rate, layout="mono") for _ in range(2)]
        for k, stream in enumerate(streams):
            tone = (0.5 * np.sin(2 * np.pi * (300 + 500 * k) * np.arange(rate) / rate)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(tone[None], format="flt", layout="mono")
            frame.sample_rate, frame.pts = rate, 0
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    for index, freq in ((None, 300), (1, 800)):
        info = probe(path, index)
        assert info.audio_stream_count == 2 and info.audio_stream == (index or 0)
        samples = np.concatenate(
            [b.samples for b in decode(info, DecodeSettings(audio_rates=(16000,), audio_stream=info.audio_stream))]
        )
        spectrum = np.abs(np.fft.rfft(samples))
        assert abs(np.argmax(spectrum) * rate / len(samples) - freq) < 5
    with pytest.raises(MediaError, match="stream 2 does not exist"):
        probe(path, 2)


def test_audio_range_is_sample_accurate_and_blocks_are_bounded(tmp_path):
    rate = 16000
    audio = np.zeros(10 * rate, np.float32)
    audio[int(4.0 * rate)] = 0.9  # one click at exactly 4 s
    path = tmp_path / "click.wav"
    write_media(path, audio=audio, sample_rate=rate, audio_codec="pcm_s16le")
    info = probe(path)
    blocks = [
        b
        for b in decode(info, DecodeSettings(audio_rates=(rate,), audio_block_seconds=0.5), 2.5, 6.0)
        if isinstance(b, AudioBlock)
    ]
    assert blocks[0].start_seconds == pytest.approx(2.5, abs=1e-3)
    assert max(len(b.samples) for b in blocks) <= rate  # handed on in bounded blocks: memory stays flat
    samples = np.concatenate([b.samples for b in blocks])
    assert len(samples) == pytest.approx(3.5 * rate, abs=2)
    assert blocks[0].start_seconds + np.argmax(np.abs(samples)) / rate == pytest.approx(4.0, abs=1e-3)
