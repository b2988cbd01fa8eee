"""A media file's clock (PyAV, imported when called): its start timecode, which clip-based markers count
from, and the length and frame rate an EDL's timecodes are checked against, read in one open."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MediaClock:
    start_seconds: float = 0.0  # the start timecode in seconds, 0 without one
    drop_frame: bool | None = None  # whether that timecode is drop-frame; None without a timecode
    length_seconds: float | None = None
    frame_rate: float | None = None  # of the first video stream; None for audio-only


def read_clock(path: str | Path) -> MediaClock:
    """The file's clock (a QuickTime tmcd track or a 'timecode' tag gives the timecode); all unknown
    when the file cannot be read."""
    import av

    from .rates import RateError, parse_rate, timecode_to_frames

    try:
        with av.open(str(path)) as container:
            tags = [container.metadata] + [s.metadata for s in container.streams]
            length = container.duration / 1_000_000 if container.duration else None
            video = next(iter(container.streams.video), None)
            rate = float(video.average_rate) if video is not None and video.average_rate else None
    except (av.error.FFmpegError, OSError):
        return MediaClock()
    timecode = next((t["timecode"] for t in tags if t.get("timecode")), None)
    if not timecode or rate is None:
        return MediaClock(length_seconds=length, frame_rate=rate)
    exact = parse_rate(rate)
    try:
        start = float(timecode_to_frames(timecode, exact) / exact)
    except RateError:
        return MediaClock(length_seconds=length, frame_rate=rate)
    return MediaClock(start, ";" in timecode or "." in timecode, length, rate)


def timecode_start_seconds(path: str | Path) -> float:
    """Seconds of the file's start timecode, 0 without one or when the file cannot be read."""
    return read_clock(path).start_seconds


def media_timecode(path: str | Path) -> tuple[float, bool | None]:
    """(seconds of the file's start timecode, whether it is drop-frame: None without a timecode)."""
    clock = read_clock(path)
    return clock.start_seconds, clock.drop_frame
