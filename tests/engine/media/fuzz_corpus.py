"""A damaged-media corpus made by the tests (never committed), and a runner that survives what it finds.

Small valid files in several containers and codecs are written with PyAV (``write_seeds``); damaged
variants are derived from them deterministically with a fixed seed (``variants``): truncations, random
bytes in the header and in the payload, zeroed ranges, impossible WAV header fields, a container under
another container's name, and 0- and 1-byte files. ``run_corpus`` probes and analyses every variant in a
worker process, so that a hang or a crash inside FFmpeg is reported against its file instead of taking
the test run down with it.
"""

from __future__ import annotations

import logging
import multiprocessing
import struct
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import media_factory

log = logging.getLogger(__name__)

FUZZ_SEED = 16  # issue 16
READY_TIMEOUT_SECONDS = 120.0  # the worker's imports, on a busy two-core machine

# (file name, video codec, audio codec): every container and codec family a user is likely to bring.
SYNTHETIC_SEEDS = [
    ("h264-aac.mp4", "libx264", "aac"),
    ("h264-flac.mkv", "libx264", "flac"),
    ("mpeg4-pcm.mov", "mpeg4", "pcm_s16le"),
    ("vp8-opus.webm", "libvpx", "libopus"),
    ("pcm.wav", None, "pcm_s16le"),
    ("audio.flac", None, "flac"),
    ("audio.mp3", None, "libmp3lame"),
    ("opus.ogg", None, "libopus"),
]


@dataclass(frozen=True)
class Variant:
    """One damaged file: ``name`` says how it was made, ``suffix`` is the extension it is given."""

    name: str
    suffix: str
    data: bytes


@dataclass(frozen=True)
class Outcome:
    """What probing and analysing one file gave: ``kind`` is ok, media-error, crash, hang or silent (0 s
    analysed and no error)."""

    kind: str
    detail: str = ""


def write_seeds(folder: Path) -> list[Path]:
    """The valid files the variants are derived from, written into ``folder``.

    :returns: their paths; the real recordings from ../shared are left out when it is absent.
    """
    seeds = []
    for k, (name, video, audio) in enumerate(SYNTHETIC_SEEDS):
        rate = 48000 if audio == "libopus" else 16000
        media_factory.write_small_clip(folder / name, video_codec=video, audio_codec=audio, sample_rate=rate, seed=k)
        seeds.append(folder / name)
    real_video = media_factory.SHARED / "media" / "real" / "av_clips" / "0lFf-HP86Q0.mp4"
    if real_video.exists():
        seeds.append(media_factory.cut_real_clip(real_video, folder / "real-cut.mp4", 1.5))
        seeds.append(media_factory.write_piped_mkv(real_video, folder / "real-piped.mkv", 1.5))
    real_words = sorted((media_factory.SHARED / "media" / "sounds" / "words").glob("*.flac"))
    if real_words:
        (folder / "real-word.flac").write_bytes(real_words[0].read_bytes())
        seeds.append(folder / "real-word.flac")
    return seeds


def riff_chunks(data: bytes) -> dict[bytes, int]:
    """Offsets of the size fields of a RIFF/WAVE file's chunks (empty for anything else)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return {}
    chunks, pos = {}, 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        chunks.setdefault(chunk_id, pos + 4)
        pos += 8 + size + (size & 1)
    return chunks


def patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def wav_header_variants(data: bytes) -> Iterator[tuple[str, bytes]]:
    """A WAV's header fields set to what no real file holds: 255 or 0 channels, absurd rates and sizes."""
    chunks = riff_chunks(data)
    fmt = chunks.get(b"fmt ")
    if fmt is None:
        return
    body = fmt + 4  # audio format (H), channels (H), rate (I), byte rate (I), block align (H), bits (H)
    yield "wav-255-channels", patched(data, body + 2, "<H", 255)
    yield "wav-0-channels", patched(data, body + 2, "<H", 0)
    yield "wav-0-rate", patched(data, body + 4, "<I", 0)
    yield "wav-huge-rate", patched(data, body + 4, "<I", 0xFFFFFFFF)
    yield "wav-0-block-align", patched(data, body + 12, "<H", 0)
    yield "wav-0-bits", patched(data, body + 14, "<H", 0)
    yield "wav-255-bits", patched(data, body + 14, "<H", 255)
    yield "wav-unknown-format", patched(data, body, "<H", 0x7777)
    yield "wav-huge-fmt-size", patched(data, fmt, "<I", 0xFFFFFFF0)
    yield "wav-huge-riff-size", patched(data, 4, "<I", 0xFFFFFFFF)
    if b"data" in chunks:
        yield "wav-huge-data-size", patched(data, chunks[b"data"], "<I", 0xFFFFFFFF)
        yield "wav-0-data-size", patched(data, chunks[b"data"], "<I", 0)
    # 255 channels with a block alignment that agrees: the header is consistent, the audio is not.
    consistent = patched(patched(data, body + 2, "<H", 255), body + 12, "<H", 255 * 2)
    yield "wav-255-channels-consistent", consistent


def _flip(data: bytes, rng: np.random.Generator, lo: int, hi: int, count: int) -> bytes:
    out = bytearray(data)
    if hi > lo:
        for pos in rng.integers(lo, hi, count):
            out[pos] = int(rng.integers(0, 256))
    return bytes(out)


def _zeroed(data: bytes, start: int, length: int) -> bytes:
    out = bytearray(data)
    out[start : start + length] = bytes(len(out[start : start + length]))
    return bytes(out)


def damaged_variants(data: bytes, rng: np.random.Generator, flips: int = 2) -> Iterator[tuple[str, bytes]]:
    """Generic damage to any file: cuts, random bytes (``flips`` files of each kind) and zeroed ranges."""
    size = len(data)
    header = min(size, 1024)  # where containers keep the facts the probe reads
    for fraction in (0.03, 0.25, 0.5, 0.97):
        yield f"truncated-{int(fraction * 100)}pct", data[: max(1, int(size * fraction))]
    for head in (1, 16, 100):
        yield f"first-{head}-bytes", data[:head]
    for k in range(flips):
        yield f"header-flips-{k}", _flip(data, rng, 0, header, 8)
        yield f"payload-flips-{k}", _flip(data, rng, header, size, 48)
        yield f"header-and-payload-flips-{k}", _flip(_flip(data, rng, 0, header, 4), rng, header, size, 16)
    yield "zeroed-start", _zeroed(data, 0, 256)
    yield "zeroed-header", _zeroed(data, int(rng.integers(4, max(5, header - 64))), 64)
    yield "zeroed-middle", _zeroed(data, size // 2, 4096)


def variants(seeds: list[Path], seed: int = FUZZ_SEED, flips: int = 2) -> list[Variant]:
    """Every damaged file derived from ``seeds``, the same for the same ``seed``.

    :param flips: how many files of each random-bytes kind per seed file (the slow corpus makes more).
    """
    out: list[Variant] = []
    for k, path in enumerate(seeds):
        data, suffix = path.read_bytes(), path.suffix
        rng = np.random.default_rng([seed, k])
        base = path.stem
        out += [Variant(f"{base}-{name}", suffix, d) for name, d in damaged_variants(data, rng, flips)]
        out += [Variant(f"{base}-{name}", suffix, d) for name, d in wav_header_variants(data)]
        # The same bytes under another container's name: the probe must go by content, or fail cleanly.
        other = seeds[(k + 1) % len(seeds)].suffix
        out.append(Variant(f"{base}-renamed", other if other != suffix else ".mkv", data))
    out += [
        Variant("empty", ".wav", b""),
        Variant("one-byte", ".flac", b"f"),
        Variant("one-byte", ".mp4", b"\x00"),
        Variant("text", ".wav", b"this is not audio\n" * 20),
        Variant("text", ".mp4", b"hello\n"),
        Variant("riff-only", ".wav", b"RIFF\x24\x00\x00\x00WAVE"),
        Variant("flac-magic-only", ".flac", b"fLaC"),
        Variant("garbage", ".mkv", np.random.default_rng([seed, 999]).bytes(8192)),
    ]
    return out


def write_variants(folder: Path, corpus: list[Variant]) -> list[Path]:
    """Each variant as a file in ``folder``, numbered so that names stay unique.

    :returns: the paths, in corpus order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, variant in enumerate(corpus):
        path = folder / f"{i:04d}-{variant.name}{variant.suffix}"
        path.write_bytes(variant.data)
        paths.append(path)
    return paths


def check_one(path: Path, models) -> Outcome:
    """Probe ``path``, then analyse it with the builtin pack through the pipeline the CLI uses.

    :returns: ok, media-error (a MediaError subclass with a one-line message) or crash (anything else).
    """
    from avevents.core.errors import MediaError
    from avevents.core.results import DetectOptions
    from avevents.engine.media.probe import probe
    from avevents.engine.pipeline import detect

    try:
        probe(path)
        result = detect(str(path), DetectOptions(pack="builtin"), models)
    except MediaError as exc:
        message = str(exc)
        if not message or "\n" in message:
            return Outcome("crash", f"{type(exc).__name__} with a message that is not one line: {message!r}")
        return Outcome("media-error", f"{type(exc).__name__}: {message}")
    except Exception as exc:
        return Outcome("crash", f"{type(exc).__name__}: {exc} (at {_where(exc)})")
    duration = result.media.duration_seconds
    if not np.isfinite(duration) or duration < 0:
        return Outcome("crash", f"an impossible duration: {duration}")
    if duration == 0:
        # "0.00 s, 0 events" and exit 0: the length was not found and nobody was told.
        return Outcome("silent", f"analysed as 0 s without an error, warnings {result.warnings}")
    return Outcome("ok", f"{duration:.2f} s, {len(result.events)} events, warnings {result.warnings}")


def _where(exc: BaseException) -> str:
    """The innermost line of avevents code the exception passed through (PyAV's own frames say little)."""
    from avevents.core import errors

    root = str(Path(errors.__file__).resolve().parents[1])
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(root) and "/tests/" not in f.filename] or frames
    return f"{ours[-1].filename}:{ours[-1].lineno}" if ours else "?"


def _worker(paths: list[str], conn) -> None:
    """Child process: report each file's outcome in order, after a ``ready`` once imports are done."""
    logging.basicConfig(level=logging.ERROR)  # the product's warnings about damage are expected here
    from avevents.engine.residency import ResidentModels

    models = ResidentModels()
    conn.send("ready")
    for path in paths:
        conn.send(check_one(Path(path), models))
    conn.close()


def run_corpus(paths: list[Path], timeout: float = 30.0) -> dict[Path, Outcome]:
    """Every file's outcome; a file that takes over ``timeout`` seconds is a hang, one that kills its
    worker (a crash inside FFmpeg) a crash, and the rest go on in a fresh worker."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that holds threads
    outcomes: dict[Path, Outcome] = {}
    remaining = list(paths)
    while remaining:
        receiver, sender = ctx.Pipe(duplex=False)
        worker = ctx.Process(target=_worker, args=([str(p) for p in remaining], sender), daemon=True)
        worker.start()
        sender.close()
        try:
            _collect(receiver, worker, remaining, outcomes, timeout)
        finally:
            receiver.close()
            if worker.is_alive():
                worker.kill()
            worker.join()
    return outcomes


def _collect(receiver, worker, remaining: list[Path], outcomes: dict[Path, Outcome], timeout: float) -> None:
    """Read one worker's outcomes into ``outcomes``, removing each answered file from ``remaining``."""
    if not receiver.poll(READY_TIMEOUT_SECONDS):
        raise RuntimeError("the fuzzing worker did not start")
    try:
        receiver.recv()  # ready
    except EOFError:
        raise RuntimeError(f"the fuzzing worker died while starting (exit code {worker.exitcode})") from None
    while remaining:
        path = remaining.pop(0)
        if not receiver.poll(timeout):
            outcomes[path] = Outcome("hang", f"no answer within {timeout:.0f} s")
            return
        try:
            outcomes[path] = receiver.recv()
        except EOFError:
            worker.join(5)
            outcomes[path] = Outcome("crash", f"the process died (exit code {worker.exitcode})")
            return


def summary(outcomes: dict[Path, Outcome]) -> dict[str, int]:
    """How many files gave each kind of outcome."""
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
    return counts
