"""FCPXML 1.9 (Final Cut Pro 10.4.1+, Resolve): the media as an asset with a browser clip in an event
named "avevents", holding one marker per event in the clip's own time (the asset's start is the media's
start timecode, so a marker's start is that plus its frame). Times are exact rationals of the frame
duration; a point event is a one-frame marker."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .timing import MarkedMedia


def _time(frames: int, rate: Fraction) -> str:
    seconds = Fraction(frames) / rate
    return f"{seconds.numerator}s" if seconds.denominator == 1 else f"{seconds.numerator}/{seconds.denominator}s"


def render(marked: MarkedMedia, kind: str = "fcpxml") -> str:
    rate = marked.rate
    frame = 1 / rate
    size = f' width="{marked.width}" height="{marked.height}"' if marked.has_video and marked.width else ""
    start, length = marked.start_frame, marked.duration_frames
    url = Path(marked.path).absolute().as_uri()
    video = "1" if marked.has_video else "0"
    audio = "1" if marked.sample_rate else "0"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE fcpxml>",
        '<fcpxml version="1.9">',
        "    <resources>",
        f'        <format id="r1" frameDuration="{frame.numerator}/{frame.denominator}s"{size}/>',
        f'        <asset id="r2" name={quoteattr(Path(marked.path).stem)} start="{_time(start, rate)}" '
        f'duration="{_time(length, rate)}" hasVideo="{video}" hasAudio="{audio}" format="r1">',
        f'            <media-rep kind="original-media" src={quoteattr(url)}/>',
        "        </asset>",
        "    </resources>",
        "    <library>",
        '        <event name="avevents">',
        f'            <asset-clip ref="r2" name={quoteattr(Path(marked.path).stem)} start="{_time(start, rate)}" '
        f'duration="{_time(length, rate)}" format="r1"'
        + (' tcFormat="DF"' if marked.drop_frame else ' tcFormat="NDF"')
        + ">",
    ]
    for marker in marked.markers:
        name = f"{marker.name} {float(marker.event.get('confidence') or 0):.2f}"
        lines.append(
            f'                <marker start="{_time(start + marker.frame, rate)}" '
            f'duration="{_time(max(1, marker.duration), rate)}" value={quoteattr(name)} note={quoteattr(marker.note)}/>'
        )
    lines += ["            </asset-clip>", "        </event>", "    </library>", "</fcpxml>"]
    return "\n".join(lines) + "\n"
