"""Synthetic sounds and pictures whose events are known by construction.

Used by ``avevents sample`` (the README's demo clip, made on the user's machine: nothing is shipped or
downloaded) and by the tests and benchmarks. The voice is a small formant synthesiser: glottal pulses
shaped by vowel formants, which speech detectors accept as speech.
"""

from __future__ import annotations

import numpy as np

VOWEL_FORMANTS = {  # F1, F2, F3 in Hz (Peterson & Barney averages, male voice)
    "a": (730, 1090, 2440),
    "e": (530, 1840, 2480),
    "i": (270, 2290, 3010),
    "o": (570, 840, 2410),
    "u": (300, 870, 2240),
}
FORMANT_BANDWIDTHS = (80, 100, 140)


def _formant_filter(source: np.ndarray, rate: int, formants: tuple[int, ...]) -> np.ndarray:
    """Shape ``source`` by resonances at ``formants`` (in the frequency domain: no IIR loop)."""
    spectrum = np.fft.rfft(source)
    freqs = np.fft.rfftfreq(len(source), 1 / rate)
    gain = np.zeros_like(freqs)
    for f, bw in zip(formants, FORMANT_BANDWIDTHS):
        gain += 1.0 / (1.0 + ((freqs - f) / (bw / 2)) ** 2)
    return np.fft.irfft(spectrum * gain, n=len(source))


def syllable(rng: np.random.Generator, rate: int, seconds: float, vowel: str, pitch: float) -> np.ndarray:
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = pitch * (1 + 0.08 * np.sin(2 * np.pi * 3 * t + rng.uniform(0, 6)))
    phase = np.cumsum(f0) / rate
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
    source = np.convolve(pulses, np.exp(-np.arange(int(0.0025 * rate)) / (0.0005 * rate)), "same")
    source += 0.02 * rng.standard_normal(n)
    voiced = _formant_filter(source, rate, VOWEL_FORMANTS[vowel])
    voiced /= np.abs(voiced).max() + 1e-9
    envelope = np.sin(np.pi * np.clip(t / seconds, 0, 1)) ** 0.6
    # A fricative onset: noise rising over 15 ms and fading over the next 30 ms.
    consonant = np.zeros(n)
    k = min(n, int(0.045 * rate))
    ramp = np.minimum(np.arange(k) / (0.015 * rate), 1.0) * np.linspace(1, 0, k)
    consonant[:k] = rng.standard_normal(k) * ramp * 0.12
    return (voiced * envelope + consonant).astype(np.float32)


def voice_phrase(rng: np.random.Generator, rate: int, syllables: int, level: float = 0.3) -> np.ndarray:
    """A phrase of synthetic voiced syllables with short pauses, peak ``level``.

    The syllable plan (lengths, vowels, pitches, pauses) is drawn first, so a seed gives the same phrase
    at any sample rate.
    """
    plan = [
        (
            rng.uniform(0.15, 0.28),
            str(rng.choice(list(VOWEL_FORMANTS))),
            rng.uniform(105, 135),
            rng.uniform(0.05, 0.12) if rng.random() < 0.25 else 0.0,
        )
        for _ in range(syllables)
    ]
    noise = np.random.default_rng(int(rng.integers(2**32)))
    parts = []
    for seconds, vowel, pitch, pause in plan:
        parts.append(syllable(noise, rate, seconds, vowel, pitch))
        if pause:
            parts.append(np.zeros(int(pause * rate), np.float32))
    phrase = np.concatenate(parts)
    return (phrase / (np.abs(phrase).max() + 1e-9) * level).astype(np.float32)


def clap(rng: np.random.Generator, rate: int, level: float = 0.8) -> np.ndarray:
    """A hand clap / slate: a broadband burst with a ~15 ms decay (attack under 1 ms)."""
    n = int(0.12 * rate)
    burst = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.015 * rate))
    return (burst / np.abs(burst).max() * level).astype(np.float32)


def music(rng: np.random.Generator, rate: int, seconds: float, level: float = 0.25) -> np.ndarray:
    """Sustained chords with a soft bass pulse: continuous sound with no silences and no sharp onsets."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (196.0, 246.9, 311.1)]
    out = np.zeros(n)
    bar = 2.0
    for i, chord in enumerate(chords * int(np.ceil(seconds / (bar * len(chords))))):
        lo, hi = int(i * bar * rate), min(n, int((i + 1) * bar * rate))
        if lo >= n:
            break
        seg = t[lo:hi] - t[lo]
        fade = np.minimum(1, np.minimum(seg / 0.08, (bar - seg) / 0.08))
        for f in chord:
            out[lo:hi] += np.sin(2 * np.pi * f * t[lo:hi]) * fade
        out[lo:hi] += 0.8 * np.sin(2 * np.pi * chord[0] / 2 * t[lo:hi]) * (0.6 + 0.4 * np.cos(2 * np.pi * 2 * seg))
    return (out / np.abs(out).max() * level).astype(np.float32)


def noise_floor(rng: np.random.Generator, samples: int, level_db: float = -60.0) -> np.ndarray:
    """Quiet room noise at ``level_db`` dBFS RMS."""
    return (rng.standard_normal(samples) * 10 ** (level_db / 20)).astype(np.float32)


def shot_frames(kind: int, count: int, width: int, height: int, rng: np.random.Generator, start_index: int = 0):
    """Frames of one shot: textured colour fields with slow motion, different per ``kind``."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base_hue = rng.uniform(0, 1, 3) * 255
    freq = 2 * np.pi * rng.uniform(1.5, 4.0) / width
    for i in range(count):
        shift = (start_index + i) * 1.5  # slow pan: 1.5 px per frame
        if kind % 3 == 0:
            pattern = 0.5 + 0.5 * np.sin(freq * (xx + shift) + 0.7 * np.sin(freq * yy))
        elif kind % 3 == 1:
            pattern = 0.5 + 0.5 * np.cos(freq * np.hypot(xx - width / 2 - shift, yy - height / 2))
        else:
            pattern = ((np.floor((xx + shift) / 40) + np.floor(yy / 40)) % 2) * 0.7 + 0.15
        frame = np.empty((height, width, 3), np.uint8)
        for c in range(3):
            frame[..., c] = np.clip(base_hue[c] * 0.4 + pattern * (80 + 60 * c) + 20, 0, 255)
        yield frame
