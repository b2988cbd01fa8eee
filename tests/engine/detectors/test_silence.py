"""Silence relative to the clip's own loudness."""

from __future__ import annotations

import numpy as np

from avevents.engine.media.writer import write_media

TOLERANCE = 0.3


def silences(result):
    return [(e.start_seconds, e.end_seconds) for e in result.events if e.label == "Silence"]


def test_silence_boundaries_within_tolerance(speech_clip, run_detect):
    found = silences(run_detect(speech_clip.path, labels=("Silence",)))
    for ts, te in speech_clip.silence:
        match = [(fs, fe) for fs, fe in found if fs < te and fe > ts]
        assert len(match) == 1, f"silence {ts}-{te} s: found {match}"
        fs, fe = match[0]
        assert abs(fs - ts) <= TOLERANCE and abs(fe - te) <= TOLERANCE, ((ts, te), (fs, fe))


def test_no_silence_inside_speech_or_music(speech_clip, run_detect):
    found = silences(run_detect(speech_clip.path, labels=("Silence",)))
    for start, end in speech_clip.speech + speech_clip.music:
        inside = [(fs, fe) for fs, fe in found if fs > start + TOLERANCE and fe < end - TOLERANCE]
        assert not inside, f"silence inside sound {start}-{end}: {inside}"


def test_continuous_music_has_no_silence_and_digital_silence_is_all_silence(tmp_path, run_detect):
    t = np.arange(8 * 16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (0.7 + 0.3 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
    write_media(tmp_path / "tone.wav", audio=tone, sample_rate=16000, audio_codec="pcm_s16le")
    assert silences(run_detect(tmp_path / "tone.wav", labels=("Silence",))) == []
    write_media(
        tmp_path / "zero.wav", audio=np.zeros(5 * 16000, np.float32), sample_rate=16000, audio_codec="pcm_s16le"
    )
    found = silences(run_detect(tmp_path / "zero.wav", labels=("Silence",)))
    assert found == [(0.0, 5.0)]
