"""A media file's start timecode (PyAV, imported when called): what clip-based markers count from."""

from __future__ import annotations

from pathlib import Path


def timecode_start_seconds(path: str | Path) -> float:
    """Seconds of the file's start timecode (a QuickTime tmcd track or a 'timecode' tag), 0 without one
    or when the file cannot be read."""
    return media_timecode(path)[0]


def media_timecode(path: str | Path) -> tuple[float, bool | None]:
    """(seconds of the file's start timecode, whether it is drop-frame: None without a timecode)."""
    import av

    from .rates import RateError, parse_rate, timecode_to_frames

    try:
        with av.open(str(path)) as container:
            tags = [container.metadata] + [s.metadata for s in container.streams]
            rate = next((s.average_rate for s in container.streams.video if s.average_rate), None)
    except (av.error.FFmpegError, OSError):
        return 0.0, None
    timecode = next((t["timecode"] for t in tags if t.get("timecode")), None)
    if not timecode or rate is None:
        return 0.0, None
    exact = parse_rate(float(rate))
    try:
        return float(timecode_to_frames(timecode, exact) / exact), ";" in timecode or "." in timecode
    except RateError:
        return 0.0, None
