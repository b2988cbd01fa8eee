"""One media file's events as markers on whole frames of its exact rate, with timecode.

Every marker file counts the same frames: frame = round(seconds x rate) from the media's first frame,
a point event lasts 0 frames (a ranged one at least 1), timecode starts at the media's own start
timecode (or ``--start-tc``), drop-frame at 29.97 and 59.94 unless asked otherwise. Colours come from
the one palette every editor uses (``plugins.markers.palette``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from avevents.core.errors import InvalidRequest
from avevents.plugins.markers.palette import color_for
from avevents.plugins.markers.rates import (
    RateError,
    check_timecode,
    frames_to_timecode,
    nominal,
    parse_rate,
    timecode_to_frames,
)
from avevents.plugins.markers.text import marker_name, marker_note

FALLBACK_RATE = Fraction(25)  # audio-only media: timecode needs a frame rate; --rate chooses another


@dataclass
class Marker:
    frame: int  # from the media's first frame
    duration: int  # frames (0: a point)
    name: str
    note: str
    color: str  # a palette colour
    event: dict


@dataclass
class MarkedMedia:
    path: str
    duration_seconds: float
    rate: Fraction
    drop_frame: bool
    start_frame: int  # the timecode of the media's first frame, in frames
    markers: list[Marker] = field(default_factory=list)
    has_video: bool = True
    width: int = 0
    height: int = 0
    sample_rate: int = 0

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def duration_frames(self) -> int:
        return max(1, round(Fraction(self.duration_seconds).limit_denominator(10**6) * self.rate))

    def timecode(self, frame: int) -> str:
        """The timecode of media frame ``frame`` (after the start timecode)."""
        return frames_to_timecode(self.start_frame + frame, self.rate, self.drop_frame)


def marked_media(result, palette: dict[str, str], rate=None, start_tc: str | None = None,
                 drop_frame: bool | None = None, media_start_seconds: float = 0.0,
                 media_drop_frame: bool | None = None, timeline_start: str | None = None) -> MarkedMedia:  # fmt: skip
    """``result`` (a DetectResult) as markers.

    :param rate: the frame rate to count in (default: the media's).
    :param start_tc: the first frame's timecode as the user gave it (default: ``timeline_start`` where a
        format counts from a timeline's start, else ``media_start_seconds``, the media's own).
    :param drop_frame: default as ``start_tc`` is written, else as the media's own timecode is
        (``media_drop_frame``), else drop-frame at 29.97 / 59.94.
    """
    media = result.media
    try:
        exact = parse_rate(parse_rate(rate) if rate else (media.frame_rate or FALLBACK_RATE))
    except RateError as exc:
        raise InvalidRequest(f"--rate: {exc}") from None
    ntsc = nominal(exact) in (30, 60) and exact.denominator != 1
    drop = drop_frame
    if drop is None:
        drop = (";" in start_tc) if start_tc else media_drop_frame
        drop = ntsc if drop is None else drop and ntsc
    if drop and not ntsc:
        raise InvalidRequest(f"drop-frame timecode exists only at 29.97 and 59.94 fps, not {float(exact):g}")
    code = start_tc or timeline_start
    if code:
        try:
            code = _as_drop(code) if drop else code.replace(";", ":")
            check_timecode(code, exact)
            start = timecode_to_frames(code, exact)
        except RateError as exc:
            raise InvalidRequest(f"--start-tc: {exc}") from None
    else:
        start = round(Fraction(media_start_seconds).limit_denominator(10**6) * exact)
    marked = MarkedMedia(media.path, media.duration_seconds, exact, drop, start, has_video=media.has_video,
                         width=media.width, height=media.height, sample_rate=media.sample_rate)  # fmt: skip
    for event in result.events:
        data = event.to_dict()
        first = round(Fraction(event.start_seconds).limit_denominator(10**9) * exact)
        last = round(Fraction(event.end_seconds).limit_denominator(10**9) * exact)
        duration = 0 if event.end_seconds <= event.start_seconds else max(1, last - first)
        name = marker_name(data)
        marked.markers.append(
            Marker(first, duration, name, marker_note(data, marked.name), color_for(name, palette), data)
        )
    return marked


def _as_drop(code: str) -> str:
    code = code.replace(";", ":")
    return code[:-3] + ";" + code[-2:]
