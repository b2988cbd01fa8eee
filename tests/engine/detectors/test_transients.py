"""Transients: claps and slates found, speech onsets and music left alone."""

from __future__ import annotations

import numpy as np
import pytest

from avevents.engine.media import synth
from avevents.engine.media.writer import write_media


def onsets(result):
    return [e.start_seconds for e in result.events if e.label == "Transient"]


@pytest.mark.parametrize("clip_fixture", ["speech_clip", "speech_wav"])
def test_clap_in_speech_clip_found_and_words_ignored(clip_fixture, request, run_detect):
    speech_clip = request.getfixturevalue(clip_fixture)  # AAC in mp4, and 16-bit PCM in wav
    found = onsets(run_detect(speech_clip.path, labels=("Transient",)))
    for truth in speech_clip.transients:
        assert any(abs(truth - got) <= 0.02 for got in found), (truth, found)
    for start, end in speech_clip.speech:
        assert not [t for t in found if start - 0.05 <= t <= end], f"transient on words {start}-{end}: {found}"


def test_claps_over_noise_at_exact_times(tmp_path, run_detect):
    rng = np.random.default_rng(2)
    rate = 48000
    audio = synth.noise_floor(rng, 10 * rate, -45)
    times = [1.0, 2.5, 2.9, 6.0, 8.75]
    for t in times:
        c = synth.clap(rng, rate, 0.7)
        audio[int(t * rate) : int(t * rate) + len(c)] += c
    write_media(tmp_path / "claps.m4a", audio=audio, sample_rate=rate)
    found = onsets(run_detect(tmp_path / "claps.m4a", labels=("Transient",)))
    assert len(found) == len(times), found
    assert max(abs(a - b) for a, b in zip(found, times)) <= 0.02


def test_sustained_music_has_none(tmp_path, run_detect):
    rate = 16000
    audio = synth.music(np.random.default_rng(0), rate, 8.0)
    write_media(tmp_path / "music.wav", audio=audio, sample_rate=rate, audio_codec="pcm_s16le")
    assert onsets(run_detect(tmp_path / "music.wav", labels=("Transient",))) == []


def test_chunked_analysis_matches_one_pass(tmp_path, run_detect, monkeypatch):
    """Working in chunks (bounded memory) changes nothing, also for onsets on chunk boundaries."""
    from avevents.engine.detectors import transients

    rng = np.random.default_rng(4)
    rate = 16000
    audio = synth.noise_floor(rng, 6 * rate, -45)
    for t in np.arange(0.3, 5.7, 0.37):
        c = synth.clap(rng, rate, 0.7)
        audio[int(t * rate) : int(t * rate) + len(c)] += c
    write_media(tmp_path / "many.wav", audio=audio, sample_rate=rate, audio_codec="pcm_s16le")
    monkeypatch.setattr(transients, "CHUNK", 10**9)
    whole = [
        (e.start_seconds, e.end_seconds, e.confidence)
        for e in run_detect(tmp_path / "many.wav").events
        if e.label == "Transient"
    ]
    for chunk in (7, 31, 74):
        monkeypatch.setattr(transients, "CHUNK", chunk)
        chunked = [
            (e.start_seconds, e.end_seconds, e.confidence)
            for e in run_detect(tmp_path / "many.wav").events
            if e.label == "Transient"
        ]
        assert chunked == whole, chunk
    assert len(whole) == 15
