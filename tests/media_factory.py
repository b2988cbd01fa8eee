"""Test media whose events are known by construction (real spoken words from ../shared, synthetic
claps, shots and cuts), written to real containers with PyAV."""

from __future__ import annotations

import io
import itertools
import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from avevents.engine.media import synth
from avevents.engine.media.writer import write_media

SHARED = Path(os.environ.get("AVEVENTS_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
WORDS = SHARED / "media" / "sounds" / "words"


def shared_or_skip(*parts: str) -> Path:
    import pytest

    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared material not found: {path} (set AVEVENTS_SHARED to the shared/ folder)")
    return path


def load_audio(path: Path, rate: int) -> np.ndarray:
    """Decode any audio file to mono float32 at ``rate``."""
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts = [f.to_ndarray().reshape(-1) for frame in container.decode(audio=0) for f in resampler.resample(frame)]
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32)


def active_extent(samples: np.ndarray, rate: int, below_peak_db: float = 35.0) -> tuple[int, int]:
    """First and last sample of the part of a recording within ``below_peak_db`` of its peak level
    (10 ms frames): where the word really is inside its file's leading and trailing silence."""
    hop = rate // 100
    n = len(samples) // hop
    frames = samples[: n * hop].reshape(n, hop)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = np.flatnonzero(level >= level.max() - below_peak_db)
    return int(active[0] * hop), int((active[-1] + 1) * hop)


@dataclass
class Clip:
    path: Path
    speech: list[tuple[float, float]] = field(default_factory=list)
    silence: list[tuple[float, float]] = field(default_factory=list)
    transients: list[float] = field(default_factory=list)
    cuts: list[float] = field(default_factory=list)
    music: list[tuple[float, float]] = field(default_factory=list)
    duration: float = 0.0


def words(names: list[str], rate: int) -> list[np.ndarray]:
    """The spoken words, trimmed to their active extent and normalised to a speaking level."""
    out = []
    for name in names:
        samples = load_audio(WORDS / name, rate)
        a, b = active_extent(samples, rate)
        word = samples[a:b]
        out.append(word / (np.abs(word).max() + 1e-9) * 0.5)
    return out


def is_single_word(name: str, rate: int = 16000) -> bool:
    """Short, and without a long pause inside (some recordings hold two words or a sound effect)."""
    samples = load_audio(WORDS / name, rate)
    a, b = active_extent(samples, rate)
    word = samples[a:b]
    hop = rate // 100
    n = len(word) // hop
    level = 10 * np.log10(np.mean(word[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    return (b - a) / rate <= 1.2 and int(np.sum(level < level.max() - 30)) <= 20


def pick_words(count: int, offset: int = 0) -> list[str]:
    """``count`` single words spread over the languages, deterministic."""
    names = sorted(p.name for p in WORDS.glob("*.flac"))
    chosen: list[str] = []
    i = 0
    while len(chosen) < count and i < 4 * len(names):
        name = names[(offset + 11 * i) % len(names)]
        if name not in chosen and is_single_word(name):
            chosen.append(name)
        i += 1
    return chosen


class _Soundtrack:
    """Lays real words, music loops and claps over quiet noise, recording where each went."""

    def __init__(self, rate: int, total: float, seed: int):
        self.rate = rate
        self.rng = np.random.default_rng(seed)
        self.audio = synth.noise_floor(self.rng, int(total * rate), -55.0)
        self.clip = Clip(Path(), duration=total)
        self.cursor = 1.5

    def place(self, signal: np.ndarray, at: float) -> float:
        i = round(at * self.rate)
        self.audio[i : i + len(signal)] += signal
        return at + len(signal) / self.rate

    def sentence(self, names: list[str]) -> None:
        start = self.cursor
        for k, word in enumerate(words(names, self.rate)):
            self.cursor = self.place(word, self.cursor)
            if k < len(names) - 1:
                self.cursor += float(self.rng.uniform(0.12, 0.3))
        self.clip.speech.append((round(start, 3), round(self.cursor, 3)))

    def music(self, name: str, seconds: float) -> None:
        loop = load_audio(SHARED / "media" / "sounds" / name, self.rate)
        loop = np.tile(loop, int(np.ceil(seconds * self.rate / len(loop))))[: int(seconds * self.rate)]
        self.place(loop / (np.abs(loop).max() + 1e-9) * 0.4, self.cursor)
        self.clip.music.append((round(self.cursor, 3), round(self.cursor + seconds, 3)))
        self.cursor += seconds

    def finish(self) -> tuple[np.ndarray, Clip]:
        assert self.cursor < self.clip.duration - 1.0, "the layout overran the clip"
        return np.clip(self.audio, -1, 1), self.clip


def speech_soundtrack(rate: int, seed: int = 1) -> tuple[np.ndarray, Clip]:
    """~26 s: two sentences of real words over -55 dBFS noise, a clap, a music loop and silences.

    Layout (seconds): silence 0-1.5, sentence 1, silence >= 3 s, clap, silence, sentence 2,
    silence, music 4 s, silence to the end.
    """
    t = _Soundtrack(rate, 26.0, seed)
    silence = t.clip.silence
    silence.append((0.0, t.cursor))
    t.sentence(pick_words(5))
    silence_start = t.cursor
    t.cursor += 3.0
    silence.append((round(silence_start, 3), round(t.cursor, 3)))
    clap_end = t.place(synth.clap(t.rng, rate), t.cursor)
    t.clip.transients.append(round(t.cursor, 3))
    t.cursor += 2.0
    silence.append((round(clap_end, 3), round(t.cursor, 3)))
    t.sentence(pick_words(4, offset=3))
    silence.append((round(t.cursor, 3), round(t.cursor + 2.0, 3)))
    t.cursor += 2.0
    t.music("music_house_loop01.flac", 4.0)
    silence.append((round(t.cursor, 3), t.clip.duration))
    return t.finish()


def write_speech_clip(path: Path, with_video: bool = True) -> Clip:
    """The speech soundtrack in an mp4 (with a static picture) or, without video, a wav."""
    rate = 48000 if with_video else 16000
    audio, clip = speech_soundtrack(rate)
    clip.path = path
    frames = None
    if with_video:
        n = int(clip.duration * 25)
        still = np.full((120, 160, 3), 90, np.uint8)
        frames = (still for _ in range(n))
    write_media(
        path,
        frames=frames,
        frame_rate=25,
        audio=audio,
        sample_rate=rate,
        audio_codec="aac" if with_video else "pcm_s16le",
    )
    return clip


def write_cut_clip(
    path: Path,
    frame_rate: Fraction = Fraction(30000, 1001),
    size=(320, 180),
    seconds: float = 12.0,
    flash: bool = True,
    fade: bool = True,
    with_audio: bool = False,
    timecode: str | None = None,
) -> Clip:
    """Shots with hard cuts at known frames, a one-frame flash and a fade to black and back
    (neither is a cut), slow pans inside every shot."""
    rng = np.random.default_rng(3)
    fps = float(frame_rate)
    total = int(seconds * fps)
    cut_frames = [int(total * f) for f in (0.2, 0.45, 0.8)]
    flash_frame = int(total * 0.3) if flash else -1
    fade_range = range(int(total * 0.55), int(total * 0.55) + int(fps)) if fade else range(0)
    bounds = [0, *cut_frames, total]

    def frames():
        for shot, (a, b) in enumerate(itertools.pairwise(bounds)):
            for i, frame in enumerate(synth.shot_frames(shot, b - a, size[0], size[1], rng, start_index=a)):
                index = a + i
                if index == flash_frame:
                    frame = np.full_like(frame, 250)
                elif index in fade_range:
                    # Down to black over half a second and back up over the next half.
                    pos = (index - fade_range.start) / len(fade_range)
                    frame = (frame * abs(1 - 2 * pos)).astype(np.uint8)
                yield frame

    audio = synth.noise_floor(rng, int(seconds * 48000), -50) if with_audio else None
    write_media(path, frames=frames(), frame_rate=frame_rate, audio=audio, sample_rate=48000, timecode=timecode)
    return Clip(path, cuts=[f / fps for f in cut_frames], duration=total / fps)


def write_static_clip(path: Path, seconds: float = 6.0, moving: bool = False) -> Clip:
    """One shot, static (camera noise only) or slowly moving: no cut anywhere."""
    rng = np.random.default_rng(5)
    n = int(seconds * 25)

    def frames():
        base = next(synth.shot_frames(0, 1, 320, 180, rng))
        for i in range(n):
            frame = next(synth.shot_frames(1, 1, 320, 180, np.random.default_rng(5), start_index=i)) if moving else base
            noise = rng.normal(0, 3, frame.shape)
            yield np.clip(frame + noise, 0, 255).astype(np.uint8)

    write_media(path, frames=frames(), frame_rate=25)
    return Clip(path, duration=seconds)


def speech_and_music_soundtrack(rate: int, seed: int = 2) -> tuple[np.ndarray, Clip]:
    """~32 s: sentence, silence, 8 s of music, silence, sentence, silence, 6 s of other music, silence."""
    t = _Soundtrack(rate, 32.0, seed)
    t.sentence(pick_words(5))
    t.cursor += 2.0
    t.music("music_chiptune2.flac", 8.0)
    t.cursor += 2.0
    t.sentence(pick_words(4, offset=3))
    t.cursor += 2.0
    t.music("music_house_loop01.flac", 6.0)
    return t.finish()


def write_small_clip(
    path: Path,
    *,
    video_codec: str | None = "libx264",
    audio_codec: str | None = "aac",
    seconds: float = 1.5,
    size: tuple[int, int] = (64, 48),
    frame_rate: int = 25,
    sample_rate: int = 16000,
    seed: int = 0,
) -> Clip:
    """A short clip in the codecs asked (``None`` leaves that stream out): two shots with a hard cut
    halfway and a clap over quiet noise. Small on purpose: fuzzing derives hundreds of files from it.

    :param path: the file to write; its suffix chooses the container.
    :returns: the clip, with the cut and the clap where they were put.
    """
    rng = np.random.default_rng(seed)
    frames = None
    total = int(seconds * frame_rate)
    if video_codec is not None:
        half = total // 2
        shots = [synth.shot_frames(0, half, *size, rng), synth.shot_frames(1, total - half, *size, rng, half)]
        frames = itertools.chain(*shots)
    audio = None
    if audio_codec is not None:
        audio = synth.noise_floor(rng, int(seconds * sample_rate), -50.0)
        clap = synth.clap(rng, sample_rate)
        at = int(seconds * sample_rate / 3)
        audio[at : at + len(clap)] += clap[: len(audio) - at]
        audio = np.clip(audio, -1, 1).astype(np.float32)
    write_media(
        path,
        frames=frames,
        frame_rate=frame_rate,
        audio=audio,
        sample_rate=sample_rate,
        video_codec=video_codec or "libx264",
        audio_codec=audio_codec or "aac",
        video_options={"preset": "ultrafast"} if video_codec == "libx264" else None,
    )
    return Clip(
        path,
        cuts=[total // 2 / frame_rate] if video_codec else [],
        transients=[round(seconds / 3, 3)] if audio_codec else [],
        duration=seconds,
    )


def _copy_packets(source: Path, output: av.container.OutputContainer, seconds: float | None) -> None:
    """Stream-copy the audio and video packets of ``source`` (those before ``seconds``) into ``output``."""
    with av.open(str(source)) as inp:
        streams = [s for s in inp.streams if s.type in ("audio", "video")]
        copies = {s.index: output.add_stream_from_template(s) for s in streams}
        for packet in inp.demux(streams):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            if seconds is not None and packet.pts is not None and packet.pts * packet.time_base >= seconds:
                continue  # not break: the other stream may still have packets before the cut
            packet.stream = copies[packet.stream.index]
            output.mux(packet)


def cut_real_clip(source: Path, path: Path, seconds: float | None) -> Path:
    """The first ``seconds`` (None: all) of a real recording, stream-copied (no re-encoding) into
    ``path``, whose suffix chooses the container.

    :returns: ``path``.
    """
    with av.open(str(path), "w") as output:
        _copy_packets(source, output, seconds)
    return path


class _PipeWriter(io.RawIOBase):
    """A file that cannot seek, as a pipe is: muxers then cannot go back to write a duration or an index."""

    def __init__(self, raw):
        self.raw = raw

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data) -> int:
        return self.raw.write(data)


def write_piped_mkv(source: Path, path: Path, seconds: float | None = None) -> Path:
    """``source`` remuxed to Matroska as ``ffmpeg ... -f matroska pipe:1 > path`` writes it: no duration
    and no cues, like a recording still being written.

    :returns: ``path``.
    """
    with open(path, "wb") as raw, av.open(_PipeWriter(raw), "w", format="matroska") as output:
        _copy_packets(source, output, seconds)
    return path


def write_raw_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """A 16-bit PCM WAV written byte by byte: any channel count (PyAV's encoder names layouts only up to
    a few dozen channels), exactly the header a test wants.

    :param samples: (n, channels) float -1..1 or int16.
    :returns: ``path``.
    """
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    channels = samples.shape[1]
    data = np.ascontiguousarray(samples, "<i2").tobytes()
    header = b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
    path.write_bytes(
        b"RIFF"
        + struct.pack("<I", len(header) + 8 + len(data))
        + header
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    return path
